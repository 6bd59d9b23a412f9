import { ValidationError } from './errors';

const pattern = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * ISO-8601 duration to seconds. Weeks, days, hours, minutes and seconds only: months and years
 * have no fixed length, and a follow-up delay must mean the same thing every time.
 */
export function durationSeconds(duration: string): number {
  const match = pattern.exec(duration);
  if (!match || duration === 'P' || duration.endsWith('T')) {
    throw new ValidationError(`"${duration}" is not an ISO-8601 duration such as P3D or PT12H`, [
      { path: 'duration', message: 'use W, D, H, M, S (months and years have no fixed length)' },
    ]);
  }
  const [weeks, days, hours, minutes, seconds] = match.slice(1).map((part: string | undefined) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds;
}
