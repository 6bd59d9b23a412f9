const MS_PER_DAY = 86_400_000;

/**
 * Age of an event in days at `now`. Events stamped after `now` count as age 0 rather than being
 * dropped: a few seconds of clock skew between the event source and the scorer must not lose a
 * click, and the per-rule cap bounds what a wrongly future-dated event can add.
 * Returns undefined for a timestamp that does not parse, so the caller can ignore the event.
 */
export function ageInDays(at: string, now: Date): number | undefined {
  const atMs = Date.parse(at);
  if (Number.isNaN(atMs)) return undefined;
  return Math.max(0, (now.getTime() - atMs) / MS_PER_DAY);
}

/** Half-life decay: an event is worth half as much after each `halfLifeDays`. */
export function decayFactor(ageDays: number, halfLifeDays: number): number {
  return 0.5 ** (ageDays / halfLifeDays);
}

/** `points` decayed over `ageDays` with the given half-life. */
export function decayedPoints(points: number, ageDays: number, halfLifeDays: number): number {
  return points * decayFactor(ageDays, halfLifeDays);
}
