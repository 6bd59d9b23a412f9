import { NotFoundError, TemporarilyUnavailableError } from '../../core/errors';
import type { HistoryEntry } from '../../core/history';
import { parseIdempotencyKey, replay, requestHash } from '../../core/idempotency';
import type { Lead } from '../../core/lead';
import { MAX_CONFLICT_ATTEMPTS, backOffAfterConflict } from './conflicts';
import type { HttpRequest, HttpResponse } from './http';
import { saveChangedLead } from './lead-changes';
import { IdempotencyKeyUsedError, LeadChangedError, WriteConflictError, getIdempotencyRecord, getLead } from './leads-repository';

export interface LeadChange {
  lead: Lead;
  entries: HistoryEntry[];
  /** The answer's body, stored with the idempotency record so a retry gets it again. */
  body: Record<string, unknown>;
}

/**
 * An API write to one lead, exactly once: read the lead, `change` it, store lead, history and
 * idempotency record together (and an owner for a lead left in qualified without one; optimistic locking; a concurrent change runs `change` again on the
 * fresh lead), then `after` (side effects once the change is durable). A request repeated with
 * the same Idempotency-Key replays the first answer without a second effect.
 */
export async function changeLeadOnce(
  request: HttpRequest,
  leadId: string,
  scope: string,
  status: number,
  change: (lead: Lead, now: Date) => LeadChange,
  after?: (result: LeadChange) => Promise<void>,
): Promise<HttpResponse> {
  const key = parseIdempotencyKey(request.headers['idempotency-key']);
  const hash = requestHash([leadId, request.rawBody]);
  const idempotencyScope = `${scope}:${leadId}`;
  const replayed = async () => {
    const stored = key ? await getIdempotencyRecord(idempotencyScope, key) : undefined;
    return stored && { status: stored.status, json: replay(stored, hash).body };
  };
  // A retried request finds the lead already changed: answer as the first time (not, say, a 409).
  const earlier = await replayed();
  if (earlier) return earlier;

  for (let attempt = 1; ; attempt++) {
    const lead = await getLead(leadId, true);
    if (!lead) throw new NotFoundError('there is no such lead');
    const now = new Date();
    const result = change(lead, now);
    try {
      // A lead left in qualified without an owner gets one in this same write (lead-changes.ts).
      const stored = await saveChangedLead(
        result.lead,
        result.entries,
        key ? { scope: idempotencyScope, key, record: { requestHash: hash, status, body: result.body }, now } : undefined,
      );
      await after?.({ ...result, ...stored });
      return { status, json: result.body };
    } catch (error) {
      if (error instanceof IdempotencyKeyUsedError) {
        const first = await replayed();
        if (first) return first;
      }
      const retryable = error instanceof LeadChangedError || error instanceof WriteConflictError;
      if (!retryable) throw error;
      if (attempt >= MAX_CONFLICT_ATTEMPTS) throw new TemporarilyUnavailableError(undefined, { cause: error });
      await backOffAfterConflict(attempt);
    }
  }
}
