import * as z from 'zod';
import { historyEntrySchema, type HistoryEntry } from './history';
import { keys } from './keys';
import { leadSchema, type Lead } from './lead';
import type { StoredItem } from './erasure';

/**
 * Everything held about one person (GDPR art. 15 and 20), as one JSON document: the lead, its
 * whole history, its engagement events, the emails sent about it, and its consent with the
 * submissions it came with. Built from the lead's partition, which holds everything about them.
 */

const historyLine = historyEntrySchema.omit({ leadId: true });

export const leadExportSchema = z.object({
  exportedAt: z.string(),
  leadId: z.string(),
  lead: leadSchema,
  history: z.array(historyLine).meta({ description: 'The whole audit trail, oldest first.' }),
  engagementEvents: z.array(
    z.object({
      at: z.string(),
      type: z.string(),
      eventAt: z.string().optional(),
      properties: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  emails: z
    .array(
      z.object({
        at: z.string(),
        template: z.string(),
        recipient: z.string().meta({ description: '`prospect` (this person) or `team` (their owner or manager, about them).' }),
        status: z.enum(['sent', 'suppressed']),
      }),
    )
    .meta({
      description: 'The emails sent (or withheld) about this lead, by template: their text is the template filled with the lead above.',
    }),
  consent: z.object({
    granted: z.boolean(),
    records: z
      .array(
        z.object({ at: z.string(), formId: z.string(), provider: z.string().optional(), submission: z.enum(['captured', 'resubmitted']) }),
      )
      .meta({ description: 'The form submissions the consent was given or confirmed with (the last one that carried it decides).' }),
  }),
  workflow: z
    .object({ waitingIn: z.string(), since: z.string() })
    .nullable()
    .meta({ description: 'The stage where the lead waits for a rep, if it does.' }),
  idempotencyRecords: z
    .number()
    .int()
    .min(0)
    .meta({ description: 'Replayable answers to retried requests about this lead (kept 24 h to 7 days).' }),
  suppressed: z.boolean().meta({ description: 'The address is on the suppression list (an earlier erasure): no email goes to it.' }),
});
export type LeadExport = z.infer<typeof leadExportSchema>;

/** The export of a lead from the items of its partition (the lead item among them). */
export function leadExport(lead: Lead, items: readonly StoredItem[], suppressed: boolean, now: Date): LeadExport {
  const history = items
    .filter((item) => item.sk.startsWith(keys.historyPrefix))
    .map((item) => historyEntrySchema.safeParse(item))
    .flatMap((parsed) => (parsed.success ? [parsed.data] : []))
    // A lead's history begins when it was created: anonymized entries of an earlier, erased lead of the same address are not this one's.
    .filter((entry) => entry.at >= lead.createdAt)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const wait = items.find((item) => item.sk === keys.workflow('').sk);
  return {
    exportedAt: now.toISOString(),
    leadId: lead.leadId,
    lead,
    history: history.map(({ leadId: _, ...entry }) => entry),
    engagementEvents: history.filter((entry) => entry.type === 'engagement').map(engagementOf),
    emails: history.filter((entry) => entry.type === 'email_sent' || entry.type === 'email_suppressed').map(emailOf),
    consent: {
      granted: lead.consent,
      records: history.filter((entry) => entry.type === 'captured' || entry.type === 'resubmitted').map(consentRecordOf),
    },
    workflow:
      wait && typeof wait.stage === 'string'
        ? { waitingIn: wait.stage, since: typeof wait.registeredAt === 'string' ? wait.registeredAt : '' }
        : null,
    idempotencyRecords: items.filter((item) => item.sk.startsWith(keys.idempotencyRefPrefix)).length,
    suppressed,
  };
}

function engagementOf(entry: HistoryEntry): LeadExport['engagementEvents'][number] {
  const { type, eventAt, properties } = entry.data;
  return {
    at: entry.at,
    type: String(type),
    ...(typeof eventAt === 'string' && { eventAt }),
    ...(properties !== null && typeof properties === 'object' && { properties: properties as Record<string, unknown> }),
  };
}

function emailOf(entry: HistoryEntry): LeadExport['emails'][number] {
  return {
    at: entry.at,
    template: String(entry.data.template),
    recipient: String(entry.data.recipient),
    status: entry.type === 'email_suppressed' ? 'suppressed' : 'sent',
  };
}

function consentRecordOf(entry: HistoryEntry): LeadExport['consent']['records'][number] {
  const touch = z.object({ formId: z.string(), provider: z.string().optional() }).safeParse(entry.data.touch);
  const formId = touch.success
    ? touch.data.formId
    : typeof entry.data.formId === 'string'
      ? entry.data.formId
      : entry.actor.replace(/^form:/, '');
  const provider = touch.success ? touch.data.provider : undefined;
  return {
    at: entry.at,
    formId,
    ...(provider !== undefined && { provider }),
    submission: entry.type === 'captured' ? 'captured' : 'resubmitted',
  };
}
