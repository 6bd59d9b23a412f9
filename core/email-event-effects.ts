import { historyEntry, type HistoryEntry } from './history';
import type { Lead } from './lead';
import type { ScoringRules } from './scoring';
import { engagementOf, historyDataOf, historyTypeOf, type EmailEvent } from './ses-events';
import { rescoreLead } from './transitions';

/** Who SES events are recorded as caused by. */
export const SES_ACTOR = 'ses';

/** What an SES event changes on its lead: the lead itself (or undefined when it stays as it is) and the history entries. */
export interface EmailEventEffects {
  lead?: Lead;
  entries: HistoryEntry[];
}

/**
 * The effects of one SES event on the lead its message was about:
 * - mail to the team (a rep's reminder about the lead) is not the prospect's mail: nothing;
 * - every other event is one history entry (`email_delivered`, `email_bounced`...), which the
 *   metrics aggregator folds into the email rates;
 * - an open or a click is engagement: the lead is rescored with the rules' `email_open` /
 *   `email_click` scoring, as an engagement event reported through the API is (core/transitions.ts);
 * - a complaint withdraws the lead's marketing consent.
 * The caller makes it happen at most once per message and kind (core/keys.ts emailEvent).
 */
export function emailEventEffects(lead: Lead, event: EmailEvent, rules: ScoringRules, now: Date): EmailEventEffects {
  const type = historyTypeOf(event.kind);
  if (event.toTeam || !type) return { entries: [] };
  const entries = [historyEntry(lead.leadId, type, SES_ACTOR, new Date(event.at), historyDataOf(event))];
  const engagement = engagementOf(event, now);
  if (engagement) {
    const { lead: scored, scoreChange } = rescoreLead(lead, engagement, rules, SES_ACTOR, now, type);
    return { lead: scored, entries: [...entries, ...(scoreChange ? [scoreChange] : [])] };
  }
  if (event.kind === 'complained' && lead.consent) {
    const withdrawn: Lead = { ...lead, consent: false, updatedAt: now.toISOString(), version: lead.version + 1 };
    const entry = historyEntry(lead.leadId, 'consent_withdrawn', SES_ACTOR, now, { via: 'complaint', messageId: event.messageId });
    return { lead: withdrawn, entries: [...entries, entry] };
  }
  return { entries };
}
