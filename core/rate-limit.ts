import * as z from 'zod';

/**
 * Abuse limits for public capture: fixed one-minute windows counted in the table (so a count
 * survives a function restart and is shared by every concurrent environment), per form and per
 * client. A client is known only by a keyed hash of its address, never the address itself.
 */
export const RATE_WINDOW_SECONDS = 60;

export const DEFAULT_RATE_LIMIT = { perMinute: 1_000, perClientPerMinute: 30 } as const;

export const rateLimitSchema = z
  .object({
    perMinute: z.int().min(1).max(1_000_000).default(DEFAULT_RATE_LIMIT.perMinute).meta({
      description: 'Submissions the form accepts per minute from everyone together.',
    }),
    perClientPerMinute: z.int().min(1).max(1_000_000).default(DEFAULT_RATE_LIMIT.perClientPerMinute).meta({
      description: 'Submissions the form accepts per minute from one client address.',
    }),
  })
  .meta({ description: 'Public submissions beyond these are answered 429 with Retry-After. Signed or keyed submissions are not limited.' });
export type RateLimit = z.infer<typeof rateLimitSchema>;

export interface RateWindow {
  /** The window's start, epoch seconds: part of the counters' keys. */
  start: number;
  /** Seconds until the window ends, at least 1: the Retry-After of a refusal. */
  retryAfterSeconds: number;
  /** When the counters may be deleted (epoch seconds, the table's TTL): a window after this one ends. */
  expiresAt: number;
}

export function rateWindow(now: Date): RateWindow {
  const seconds = Math.floor(now.getTime() / 1000);
  const start = seconds - (seconds % RATE_WINDOW_SECONDS);
  return {
    start,
    retryAfterSeconds: Math.max(1, start + RATE_WINDOW_SECONDS - seconds),
    expiresAt: start + 2 * RATE_WINDOW_SECONDS,
  };
}
