/**
 * Points are kept as whole tenths inside the engine, so every breakdown line, the fit and
 * engagement sums and the clamp lines add up exactly; floats only appear at the edge.
 */
export const TENTHS_PER_POINT = 10;

/** Rounds half away from zero, so +2.25 and -2.25 round to the same magnitude. */
export function toTenths(points: number): number {
  const tenths = Math.round(Math.abs(points) * TENTHS_PER_POINT);
  return points < 0 ? -tenths : tenths;
}

export function fromTenths(tenths: number): number {
  return tenths / TENTHS_PER_POINT;
}

/** Sums points that are multiples of 0.1 without floating-point drift (0.1 + 0.2 === 0.3). */
export function sumPoints(points: Iterable<number>): number {
  let tenths = 0;
  for (const p of points) tenths += toTenths(p);
  return fromTenths(tenths);
}

/** Points as a reason shows them: "4.8", "20", "-15". */
export function formatPoints(points: number): string {
  return String(fromTenths(toTenths(points)));
}
