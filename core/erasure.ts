import { createHmac, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { historyEntrySchema, type HistoryEntry } from './history';
import { keys, tableKeys, type ItemKey } from './keys';
import { contributionsOf } from './metrics/events';
import { normalizeEmail } from './submission';

/**
 * Erasure (GDPR art. 17) as pure planning: what to delete, what to keep as an anonymous event, and
 * the records that outlive the person without naming them (the suppression hash, the audit record).
 *
 * History entries are also the metric events: the aggregator folds those written after its
 * watermark. An entry already folded is only a duplicate of a daily count and is deleted; one not
 * folded yet that counts towards a metric is rewritten in place (same keys, same position on the
 * byDay index, so it is folded exactly once as before) with only what the aggregator reads from it.
 * Everything else about the lead is deleted.
 */

/** An item of a lead's partition as stored (its table keys included). */
export type StoredItem = Record<string, unknown> & ItemKey;

export interface ErasureCounts {
  /** History entries deleted outright (already folded into the metrics, or counting nothing). */
  historyDeleted: number;
  /** History entries the aggregator has yet to fold, kept without personal data. */
  historyAnonymized: number;
  emailClaims: number;
  idempotencyRecords: number;
  workflowWaits: number;
  /** Items of the partition of any other kind. */
  other: number;
}

export interface ErasurePlan {
  /** Keys to delete; the lead item is not among them (it goes last, with the audit record). */
  deletes: ItemKey[];
  /** Items to write back in place of the originals. */
  puts: StoredItem[];
  counts: ErasureCounts;
}

/**
 * Plans the erasure of a lead's partition. `watermark` is the metrics aggregator's position
 * (undefined before its first run): entries at or before it are folded.
 */
export function planErasure(items: readonly StoredItem[], watermark: string | undefined): ErasurePlan {
  const plan: ErasurePlan = {
    deletes: [],
    puts: [],
    counts: { historyDeleted: 0, historyAnonymized: 0, emailClaims: 0, idempotencyRecords: 0, workflowWaits: 0, other: 0 },
  };
  for (const item of items) {
    const key = { pk: item.pk, sk: item.sk };
    if (item.sk === keys.lead('').sk) continue;
    if (item.sk.startsWith(keys.historyPrefix)) {
      const anonymized = stillNeeded(item, watermark) ? anonymizedItem(item) : undefined;
      if (anonymized) {
        plan.puts.push(anonymized);
        plan.counts.historyAnonymized++;
      } else {
        plan.deletes.push(key);
        plan.counts.historyDeleted++;
      }
      continue;
    }
    plan.deletes.push(key);
    if (item.sk.startsWith(keys.idempotencyRefPrefix)) {
      // The reference's sort key is the record's partition key.
      plan.deletes.push({ pk: item.sk, sk: keys.idempotency('', '').sk });
      plan.counts.idempotencyRecords++;
    } else if (item.sk.startsWith('EMAIL#')) {
      plan.counts.emailClaims++;
    } else if (item.sk === keys.workflow('').sk) {
      plan.counts.workflowWaits++;
    } else {
      plan.counts.other++;
    }
  }
  return plan;
}

/** Not folded yet: written after the watermark (or before any aggregation ran). */
function stillNeeded(item: StoredItem, watermark: string | undefined): boolean {
  const position = item[tableKeys.byDay.sortKey];
  if (typeof position !== 'string') return false;
  return watermark === undefined || position > watermark;
}

/** The anonymous version of a stored entry, or undefined when the entry counts towards no metric. */
function anonymizedItem(item: StoredItem): StoredItem | undefined {
  const parsed = historyEntrySchema.safeParse(item);
  if (!parsed.success) return undefined;
  const position = String(item[tableKeys.byDay.sortKey]);
  if (contributionsOf({ ...parsed.data, position }).length === 0) return undefined;
  const entry = anonymizeEntry(parsed.data);
  return {
    pk: item.pk,
    sk: item.sk,
    [tableKeys.byDay.partitionKey]: item[tableKeys.byDay.partitionKey],
    [tableKeys.byDay.sortKey]: position,
    ...entry,
    ...(typeof item.ingestedAt === 'string' && { ingestedAt: item.ingestedAt }),
    erased: true,
  };
}

/**
 * An entry reduced to what the metrics read from it (core/metrics/events.ts): stage moves keep
 * their stages, time in stage, deal value, owner (a rep, not the lead), source and the lead's
 * creation time; captures keep source and UTM campaign; emails whom they went to (prospect or
 * team) and their campaign, SES events and unsubscribes their campaign; engagement its kind and time. Reasons, objection notes, touches (referrer, landing page,
 * UTM term and content), properties and scores are dropped. The actor (a form, an API key's
 * name, the workflow) is the platform's, not the person's.
 */
export function anonymizeEntry(entry: HistoryEntry): HistoryEntry {
  const data = entry.data;
  const pick = (...names: string[]) =>
    Object.fromEntries(names.filter((name) => data[name] !== undefined).map((name) => [name, data[name]]));
  let kept: Record<string, unknown>;
  switch (entry.type) {
    case 'captured': {
      const touch = z.object({ campaign: z.string().optional() }).safeParse(data.touch);
      const campaign = touch.success ? touch.data.campaign : undefined;
      kept = { ...pick('source'), ...(campaign !== undefined && { touch: { campaign } }) };
      break;
    }
    case 'stage_changed':
      kept = pick('from', 'to', 'secondsInPrevious', 'dealValue', 'currency', 'owner', 'source', 'leadCreatedAt');
      break;
    case 'email_sent':
      kept = pick('recipient', 'template', 'marketing', 'campaignId', 'step');
      break;
    case 'engagement':
      kept = pick('type', 'eventAt');
      break;
    default:
      // SES events and unsubscribes count for their campaign (a campaign id names no one).
      kept = entry.type.startsWith('email_') || entry.type === 'unsubscribed' ? pick('campaignId', 'step') : {};
  }
  return { leadId: entry.leadId, entryId: entry.entryId, at: entry.at, type: entry.type, actor: entry.actor, data: kept };
}

/**
 * The suppression list's key for an address: HMAC-SHA256 under a secret salt, so the list cannot
 * be checked against a list of addresses by anyone without the salt (an unkeyed hash of an email
 * can be reversed by hashing candidates).
 */
export function suppressionHash(email: string, salt: string): string {
  if (salt.length < 16) throw new Error('the suppression salt must be at least 16 characters');
  return createHmac('sha256', salt).update(normalizeEmail(email)).digest('base64url');
}

export const auditActions = ['lead_exported', 'lead_erased'] as const;

/**
 * An audit record: who did what to which lead id, when, and how much. Never a field of the lead:
 * the audit log outlives the person.
 */
export const auditRecordSchema = z.object({
  auditId: z.string(),
  action: z.enum(auditActions),
  leadId: z.string(),
  /** The API key's actor (`api-key:<name>`). */
  actor: z.string(),
  at: z.string(),
  counts: z.record(z.string(), z.number().int().min(0)),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;

export function auditRecord(
  action: AuditRecord['action'],
  leadId: string,
  actor: string,
  now: Date,
  counts: Record<string, number>,
): AuditRecord {
  return { auditId: randomBytes(6).toString('hex'), action, leadId, actor, at: now.toISOString(), counts };
}
