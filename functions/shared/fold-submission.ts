import { TemporarilyUnavailableError } from '../../core/errors';
import type { CapturePlan } from '../../core/capture';
import type { Lead } from '../../core/lead';
import { MAX_CONFLICT_ATTEMPTS, backOffAfterConflict } from './conflicts';
import { LeadChangedError, WriteConflictError, getLead } from './leads-repository';

/**
 * Folds one submission into its lead with optimistic locking: plan from the lead as last read (at
 * first assumed new, so a new lead costs one conditional write), save, and on a lost race read
 * again and re-plan; conflicts back off with jitter, and a write that keeps losing is
 * TemporarilyUnavailableError (503), never a 500. `save` may throw other errors to stop (a used
 * idempotency key, an applied submission); `onRetry` sees them first and may ask for a re-read.
 */
export async function foldSubmission(
  leadId: string,
  plan: (existing: Lead | undefined) => CapturePlan,
  save: (plan: CapturePlan) => Promise<void>,
  retryable: (error: unknown) => boolean = () => false,
): Promise<CapturePlan> {
  let existing: Lead | undefined;
  for (let attempt = 1; ; attempt++) {
    const planned = plan(existing);
    try {
      await save(planned);
      return planned;
    } catch (error) {
      const changed = error instanceof LeadChangedError;
      if (!(changed || error instanceof WriteConflictError || retryable(error))) throw error;
      if (attempt >= MAX_CONFLICT_ATTEMPTS) throw new TemporarilyUnavailableError(undefined, { cause: error });
      // The first retry re-reads at once; later ones back off, so that many writers take turns.
      if (attempt > 1 || !changed) await backOffAfterConflict(attempt);
      existing = await getLead(leadId, true);
    }
  }
}
