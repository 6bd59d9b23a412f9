import { randomBytes } from 'node:crypto';
import * as z from 'zod';

/**
 * One line of a lead's audit trail. History entries are also the platform's event stream: the
 * metrics aggregator reads them from their day partitions.
 */
export const historyEntrySchema = z.object({
  leadId: z.string(),
  entryId: z.string(),
  at: z.string(),
  type: z.string(),
  /** Who caused it: `form:<id>`, `api-key:<name>`, `workflow`, `scheduler`. */
  actor: z.string(),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export function newEntryId(): string {
  return randomBytes(6).toString('hex');
}

export function historyEntry(leadId: string, type: string, actor: string, at: Date, data: Record<string, unknown> = {}): HistoryEntry {
  return { leadId, entryId: newEntryId(), at: at.toISOString(), type, actor, data };
}
