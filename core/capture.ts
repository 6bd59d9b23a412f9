import type { Form } from './form';
import { leadIdFor, profileFields, type Lead, type Profile, type Touch } from './lead';
import type { HistoryEntry } from './history';
import { scoreLead, type EngagementEvent, type ScoringRules } from './scoring';
import { normalizeEmail, type Submission } from './submission';

export interface CapturePlan {
  lead: Lead;
  touch: Touch;
  duplicate: boolean;
}

/** A lead keeps its most recent engagement events; older ones have decayed to nothing. */
export const MAX_ENGAGEMENT_EVENTS = 200;

/** A lead with its score computed. */
export type ScoredLead = Lead & { score: NonNullable<Lead['score']> };

/** Adds engagement events (newest last, bounded) and rescores the lead with the given rules. */
export function withEngagement(
  lead: Lead,
  event: EngagementEvent | EngagementEvent[] | undefined,
  rules: ScoringRules,
  now: Date,
): ScoredLead {
  const events = event === undefined ? [] : Array.isArray(event) ? event : [event];
  const engagement =
    events.length > 0
      ? [...lead.engagement, ...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).slice(-MAX_ENGAGEMENT_EVENTS)
      : lead.engagement;
  return { ...lead, engagement, score: scoreLead(lead, engagement, rules, now) };
}

/** What a delivery brought beside the submission: its provider, engagement (a booked meeting) and notes. */
export interface CaptureExtras {
  provider?: string;
  engagement?: EngagementEvent[];
  /** What was received but not kept, for the lead's history. */
  notes?: string[];
}

/**
 * Folds a validated submission into the lead it belongs to: a new lead, or for a known email the
 * same lead with its profile refreshed (newer non-empty values win) and the touch recorded as a
 * form_submit engagement. Either way the lead is scored with the given rules.
 */
export function planCapture(
  existing: Lead | undefined,
  submission: Submission,
  form: Pick<Form, 'formId'>,
  now: Date,
  rules: ScoringRules,
  extras: CaptureExtras = {},
): CapturePlan {
  const at = now.toISOString();
  const email = normalizeEmail(submission.email);
  const touch = touchFrom(submission, form.formId, at);
  if (extras.provider && extras.provider !== 'generic') touch.provider = extras.provider;
  if (extras.notes && extras.notes.length > 0) touch.notes = extras.notes;
  const delivered = extras.engagement ?? [];
  const profile = profileFrom(submission);

  if (!existing) {
    const lead: Lead = {
      leadId: leadIdFor(email),
      email,
      profile,
      customFields: submission.customFields,
      consent: submission.consent ?? false,
      stage: 'new',
      stageChangedAt: at,
      source: touch.source,
      attribution: { firstTouch: touch, lastTouch: touch },
      touches: 1,
      engagement: [],
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    return { duplicate: false, touch, lead: withEngagement(lead, delivered, rules, now) };
  }
  const updated: Lead = {
    ...existing,
    profile: { ...existing.profile, ...profile },
    customFields: { ...existing.customFields, ...submission.customFields },
    consent: submission.consent ?? existing.consent,
    attribution: { firstTouch: existing.attribution.firstTouch, lastTouch: touch },
    touches: existing.touches + 1,
    updatedAt: at,
    version: existing.version + 1,
  };
  const resubmitted: EngagementEvent = { type: 'form_submit', at, properties: { formId: form.formId } };
  return { duplicate: true, touch, lead: withEngagement(updated, [resubmitted, ...delivered], rules, now) };
}

function profileFrom(submission: Submission): Profile {
  const profile: Profile = {};
  for (const field of profileFields) {
    const value = submission[field];
    if (value !== undefined && value !== '') profile[field] = value;
  }
  return profile;
}

/** Source is the UTM source, else the referring host, else `direct`. */
export function touchFrom(submission: Submission, formId: string, at: string): Touch {
  const touch: Touch = { at, formId, source: sourceOf(submission) };
  const optional = {
    medium: submission.utm_medium,
    campaign: submission.utm_campaign,
    term: submission.utm_term,
    content: submission.utm_content,
    referrer: submission.referrer,
    landingPage: submission.landingPage,
  };
  for (const [name, value] of Object.entries(optional)) {
    if (value) touch[name as keyof typeof optional] = value;
  }
  return touch;
}

function sourceOf(submission: Submission): string {
  if (submission.utm_source) return submission.utm_source.toLowerCase();
  if (submission.referrer) {
    try {
      return new URL(submission.referrer).hostname.replace(/^www\./, '') || 'direct';
    } catch {
      return 'referral';
    }
  }
  return 'direct';
}

/**
 * The audit-trail entries for the form touches a lead write recorded: `captured` for a new lead,
 * `resubmitted` for each touch added since the previous image. Derived from the table stream
 * (the capture itself is one write), with ids fixed by the touch number so a redelivered stream
 * record writes the same entries again, not new ones.
 */
export function touchEntries(previous: Lead | undefined, current: Lead): HistoryEntry[] {
  const before = previous?.touches ?? 0;
  if (current.touches <= before) return [];
  const touch = current.attribution.lastTouch;
  const first = before === 0;
  return [
    {
      leadId: current.leadId,
      entryId: `touch-${String(current.touches).padStart(6, '0')}`,
      at: first ? current.createdAt : touch.at,
      type: first ? 'captured' : 'resubmitted',
      actor: `form:${touch.formId}`,
      data: {
        formId: touch.formId,
        source: touch.source,
        touch,
        score: current.score && { total: current.score.total, grade: current.score.grade, rulesVersion: current.score.rulesVersion },
      },
    },
  ];
}
