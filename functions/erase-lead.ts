import * as z from 'zod';
import { auditRecord, planErasure, type ErasureCounts } from '../core/erasure';
import { NotFoundError, TemporarilyUnavailableError } from '../core/errors';
import { leadIdSchema, type Lead } from '../core/lead';
import type { StoredItem } from '../core/erasure';
import { MAX_CONFLICT_ATTEMPTS, backOffAfterConflict } from './shared/conflicts';
import { actorOf, httpHandler } from './shared/http';
import { LeadChangedError } from './shared/leads-repository';
import { readWatermark } from './shared/metrics-repository';
import { logger } from './shared/observability';
import { applyErasure, deleteLeadWithAudit, readLeadPartition } from './shared/privacy-repository';
import { suppress } from './shared/suppression-list';
import { stopLifecycle } from './shared/workflow';

const env = z.object({ STATE_MACHINE_ARN: z.string().min(1) }).parse(process.env);

export interface ErasureResult {
  leadId: string;
  erasedAt: string;
  erased: ErasureCounts & { executionsStopped: number };
}

/**
 * DELETE /v1/leads/{leadId} (admin): erases a person. In this order, so that a failure part-way is
 * finished by the next request: the address goes on the suppression list (as a keyed hash) so
 * nothing mails it from here on; the lead's running workflow is stopped; its history is deleted,
 * or anonymized where the metrics aggregator has yet to count it; its email claims, workflow wait
 * and idempotency records are deleted; last, the lead item itself, with the audit record. A second
 * request finds no lead: 404.
 */
export const handler = httpHandler(
  async (request) => {
    const leadId = leadIdSchema.safeParse(request.pathParameters.leadId);
    if (!leadId.success) throw new NotFoundError('there is no such lead');
    const result = await eraseLead(leadId.data, actorOf(request));
    logger.info('lead erased', { ...result.erased });
    return { status: 200, json: result };
  },
  // The key and its admin scope are checked at the gateway (api/routes.ts declares the scope).
  {},
);

async function eraseLead(leadId: string, actor: string): Promise<ErasureResult> {
  let executionsStopped = 0;
  for (let attempt = 1; ; attempt++) {
    const { lead, items } = await readLeadPartition(leadId);
    if (!lead) throw new NotFoundError('there is no such lead');
    if (!historyCaughtUp(lead, items)) {
      // Its latest submission's history entry still comes from the table stream: erasing now would let it land after.
      throw new TemporarilyUnavailableError("the lead's latest submission is still being recorded; retry in a few seconds");
    }
    const now = new Date();
    await suppress(lead.email, 'erased', now);
    executionsStopped += await stopLifecycle(env.STATE_MACHINE_ARN, lead, 'the lead was erased');
    const plan = planErasure(items, await readWatermark());
    await applyErasure(plan);
    const erased = { ...plan.counts, executionsStopped };
    try {
      await deleteLeadWithAudit(lead, auditRecord('lead_erased', leadId, actor, now, { lead: 1, ...erased }));
      return { leadId, erasedAt: now.toISOString(), erased };
    } catch (error) {
      // A submission or a move landed meanwhile: erase what it added too.
      if (!(error instanceof LeadChangedError) || attempt >= MAX_CONFLICT_ATTEMPTS) throw error;
      await backOffAfterConflict(attempt);
    }
  }
}

/** The stream has written the history entry of every submission the lead has had (core/capture.ts touchEntries). */
function historyCaughtUp(lead: Lead, items: readonly StoredItem[]): boolean {
  const latest = `touch-${String(lead.touches).padStart(6, '0')}`;
  return items.some((item) => item.entryId === latest && item.leadId === lead.leadId && String(item.at) >= lead.createdAt);
}
