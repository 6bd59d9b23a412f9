import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One policy for optimistic writes that lose a race (the lead changed, a transaction conflicted):
 * try again from a fresh read, up to MAX_CONFLICT_ATTEMPTS times, waiting a full-jitter backoff
 * that doubles from 10 ms to at most 250 ms. Twenty writers on one lead all get through; a write
 * that still loses is answered 503 with Retry-After, never 500.
 */
export const MAX_CONFLICT_ATTEMPTS = 20;

export async function backOffAfterConflict(attempt: number): Promise<void> {
  await sleep(Math.random() * Math.min(250, 10 * 2 ** attempt));
}
