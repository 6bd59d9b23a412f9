import * as z from 'zod';
import { guardSettingsSchema, judgeDeliverability } from '../core/deliverability-guard';
import { emailEventEffects } from '../core/email-event-effects';
import { parseSesEvent, suppressionReasonOf, type EmailEvent } from '../core/ses-events';
import { countMetric } from './shared/business-metrics';
import { pauseActiveCampaigns } from './shared/campaign-control';
import { applyEmailEvent, readGuardWindow } from './shared/email-events-repository';
import { logger, observed } from './shared/observability';
import { getActiveRules } from './shared/rules-repository';
import { suppress } from './shared/suppression-list';

/** The guard's limits (CDK context `deliverabilityGuard`, set by infra/constructs/email-events.ts). */
const guardSettings = guardSettingsSchema.parse(
  z
    .string()
    .optional()
    .transform((value) => (value ? (JSON.parse(value) as unknown) : {}))
    .parse(process.env.DELIVERABILITY_GUARD),
);

/**
 * The configuration set's EventBridge rule target: one SES event per invocation (send, delivery,
 * bounce, complaint, reject, open, click). A failure throws: EventBridge and Lambda retry it, and
 * what still fails lands in the failure queue. Every step is safe to repeat.
 */
export const handler = observed(async (raw: unknown): Promise<{ outcome: string }> => {
  const event = parseSesEvent(raw);
  const now = new Date();
  // First, before anything that can fail: an address that bounced hard or complained is never mailed again.
  const reason = suppressionReasonOf(event);
  if (reason) {
    for (const address of event.recipients) await suppress(address, reason, now);
  }
  const outcome = event.leadId ? await applyToLead({ ...event, leadId: event.leadId }, now) : 'untagged';
  logger.info('SES event applied', { kind: event.kind, messageId: event.messageId, leadId: event.leadId, outcome });
  // Judged again on a redelivery too: an earlier attempt may have counted the event and failed before pausing.
  if (reason) await guardDeliverability(now);
  return { outcome };
});

async function applyToLead(event: EmailEvent & { leadId: string }, now: Date) {
  // Opens and clicks are scored (the rules are cached for a few seconds: a busy launch reads them rarely).
  const rules = await getActiveRules();
  return applyEmailEvent(event, (lead) => emailEventEffects(lead, event, rules, now), now);
}

/** Pauses the active campaigns when the bounce or complaint rate over the last sends reaches its limit. */
async function guardDeliverability(now: Date): Promise<void> {
  const verdict = judgeDeliverability(await readGuardWindow(guardSettings, now), guardSettings);
  if (!verdict.pause) return;
  const paused = await pauseActiveCampaigns(verdict.reason, now);
  if (paused.length === 0) return;
  // The alarm on this metric tells ops (infra/constructs/operations.ts).
  countMetric('CampaignsPausedByGuard', paused.length);
  logger.warn('campaigns paused by the deliverability guard', { reason: verdict.reason, campaignIds: paused, window: verdict.window });
}
