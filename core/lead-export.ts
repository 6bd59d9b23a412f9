import * as z from 'zod';
import { historyEntrySchema, type HistoryEntry } from './history';
import { keys } from './keys';
import { consentRecordSchema, leadSchema, pendingOptInSchema, type Lead } from './lead';
import type { StoredItem } from './erasure';

/**
 * Everything held about one person (GDPR art. 15 and 20), as one JSON document: the lead, its
 * whole history, its engagement events, the emails sent about it, and its consent records (what
 * a controller must be able to show: when, which form, what text, how) and any withdrawal. Built
 * from the lead's partition, which holds everything about them.
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
    granted: z.boolean().meta({ description: 'Whether marketing email may go to this person now.' }),
    records: z.array(consentRecordSchema).meta({
      description: 'Every consent recorded: when, through which form, to what text, and how (the form, or the double opt-in link).',
    }),
    withdrawnAt: z
      .string()
      .optional()
      .meta({ description: 'When the person unsubscribed (or complained), if they did since their last consent.' }),
    pendingOptIn: pendingOptInSchema
      .optional()
      .meta({ description: 'A double opt-in asked for and not confirmed yet: no consent until the link is followed.' }),
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
      granted: lead.consent && !lead.unsubscribedAt,
      records: lead.consentRecords,
      ...(lead.unsubscribedAt && { withdrawnAt: lead.unsubscribedAt }),
      ...(lead.pendingOptIn && { pendingOptIn: lead.pendingOptIn }),
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
