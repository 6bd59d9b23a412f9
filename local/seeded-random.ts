/**
 * mulberry32, a small seeded generator, with a `pick` from a list: the same sequence on every run,
 * so a demo month or a benchmark's data repeat exactly.
 */
export function seededRandom(seed: number): { next: () => number; pick: <T>(values: readonly T[]) => T } {
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(values: readonly T[]): T => {
    if (values.length === 0) throw new RangeError('pick needs a list with something in it');
    // next() is below 1, so the index is in range.
    return values[Math.floor(next() * values.length)] as T;
  };
  return { next, pick };
}
