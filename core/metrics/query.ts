import { ValidationError, type ErrorDetail } from '../errors';
import { addDays, daysInRange, isDay } from './days';

/**
 * `campaign`: marketing campaigns (the `campaignId` of their emails), with their email KPIs;
 * `utm_campaign`: the UTM campaign leads were captured from.
 */
export const groupBys = ['day', 'source', 'owner', 'campaign', 'utm_campaign'] as const;
export type GroupBy = (typeof groupBys)[number];

/** A year and a leap day: a year-long query is always answered, from at most this many days of aggregates. */
export const MAX_RANGE_DAYS = 366;
const DEFAULT_RANGE_DAYS = 30;

export interface MetricsQuery {
  from: string;
  to: string;
  groupBy: GroupBy;
}

/**
 * `?from=YYYY-MM-DD&to=YYYY-MM-DD&groupBy=day|source|owner|campaign|utm_campaign`, both days inclusive (UTC). Without
 * `to` the range ends today; without `from` it spans 30 days. A bad range is a 400 that says why.
 */
export function parseMetricsQuery(query: Record<string, string | undefined>, today: string): MetricsQuery {
  const raw = { from: query.from, to: query.to, groupBy: query.groupBy };
  const details: ErrorDetail[] = [];
  for (const name of ['from', 'to'] as const) {
    const value = raw[name];
    if (value !== undefined && !isDay(value))
      details.push({ path: name, message: `must be a calendar date as YYYY-MM-DD (got ${JSON.stringify(value.slice(0, 40))})` });
  }
  const groupBy = raw.groupBy ?? 'day';
  if (!(groupBys as readonly string[]).includes(groupBy)) {
    details.push({ path: 'groupBy', message: `must be one of ${groupBys.join(', ')} (got ${JSON.stringify(groupBy.slice(0, 40))})` });
  }
  if (details.length) throw new ValidationError('the metrics query is invalid', details);

  const to = raw.to ?? today;
  const from = raw.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (from > to) {
    throw new ValidationError('the range is empty: from is after to', [{ path: 'from', message: `${from} is after ${to}` }]);
  }
  const days = daysInRange(from, to);
  if (days > MAX_RANGE_DAYS) {
    throw new ValidationError(`the range is too long: ${days} days, at most ${MAX_RANGE_DAYS}`, [
      { path: 'to', message: `must be at most ${MAX_RANGE_DAYS} days after from (inclusive)` },
    ]);
  }
  return { from, to, groupBy: groupBy as GroupBy };
}
