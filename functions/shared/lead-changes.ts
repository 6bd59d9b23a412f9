import { NotFoundError } from '../../core/errors';
import { needsOwner, withAssignedOwner } from '../../core/handoff';
import type { HistoryEntry } from '../../core/history';
import type { Lead } from '../../core/lead';
import { MAX_CONFLICT_ATTEMPTS, backOffAfterConflict } from './conflicts';
import { loadLifecycleConfig } from './lifecycle-config';
import {
  LeadChangedError,
  WriteConflictError,
  getLead,
  ownerCounterAdvance,
  readOwnerCounter,
  saveLead,
  type IdempotentWrite,
} from './leads-repository';

/**
 * Stores a changed lead. Whatever made the change (routing, a rep's move, the handoff, a rescore),
 * a lead left in `qualified` without an owner gets the round-robin counter's next owner in the
 * same transaction that advances the counter. Capture never makes a
 * lead qualified and stores through saveLead directly, without the lifecycle configuration.
 * Returns what was stored.
 */
export async function saveChangedLead(
  lead: Lead,
  entries: HistoryEntry[],
  idempotency?: IdempotentWrite,
): Promise<{ lead: Lead; entries: HistoryEntry[] }> {
  if (!needsOwner(lead)) {
    await saveLead(lead, entries, idempotency);
    return { lead, entries };
  }
  const { owners } = await loadLifecycleConfig();
  const assigned = await readOwnerCounter();
  const owned = withAssignedOwner(lead, entries, owners, assigned);
  // The counter advances in the lead's own transaction, conditional on the value read: a retry whose
  // write already happened finds the owner set and takes no slot; two assignments cannot share one.
  await saveLead(owned.lead, owned.entries, idempotency, ownerCounterAdvance(assigned));
  return { lead: owned.lead, entries: owned.entries };
}

/**
 * Read-modify-write on one lead with optimistic locking: `change` sees the current lead and
 * returns the new lead and its history entries (or nothing to leave it as is); a concurrent
 * change (or a lost race for an owner slot) makes it run again on the fresh lead.
 */
export async function changeLead<T extends { lead: Lead; entries: HistoryEntry[] }>(
  leadId: string,
  change: (lead: Lead) => T | undefined,
  maxAttempts = MAX_CONFLICT_ATTEMPTS,
): Promise<{ lead: Lead; change?: T }> {
  for (let attempt = 1; ; attempt++) {
    const lead = await getLead(leadId, true);
    if (!lead) throw new NotFoundError('there is no such lead');
    const result = change(lead);
    if (!result) return { lead };
    try {
      const stored = await saveChangedLead(result.lead, result.entries);
      return { lead: stored.lead, change: { ...result, ...stored } };
    } catch (error) {
      const retryable = error instanceof LeadChangedError || error instanceof WriteConflictError;
      if (!retryable || attempt >= maxAttempts) throw error;
      await backOffAfterConflict(attempt);
    }
  }
}
