/**
 * Metric items. This extends the single-table layout declared in core/keys.ts (same table, same
 * `pk`/`sk`, no index of their own):
 *
 * | item            | pk                     | sk                   | attributes                                   |
 * |-----------------|------------------------|----------------------|----------------------------------------------|
 * | fold watermark  | METRICS                | WATERMARK            | position: last byDay sort key folded          |
 * | daily aggregate | METRICS#DAY#<DIMENSION>| <yyyy-mm-dd>#<value> | day, dimension, value, counters, cycleSeconds |
 *
 * One partition per dimension keeps a query for a range to one sort-key range per dimension: a
 * year of totals is 366 small items, a page or two. The total aggregate's value is `all`. Day is
 * the event's own (`at`) UTC day, so late events land on theirs. Dimensions: `source` and
 * `utmCampaign` of captured leads (first touch), `owner` of stage moves, and `campaign`: the
 * marketing campaign (`campaignId`) an email was sent for, on its send, its SES events and the
 * unsubscribes it led to.
 */
import type { ItemKey } from '../keys';

export const dimensions = ['total', 'source', 'utmCampaign', 'owner', 'campaign'] as const;
export type Dimension = (typeof dimensions)[number];

export const TOTAL_VALUE = 'all';

export interface AggregateKey {
  day: string;
  dimension: Dimension;
  value: string;
}

export const metricKeys = {
  watermark: (): ItemKey => ({ pk: 'METRICS', sk: 'WATERMARK' }),
  dailyAggregate: (key: AggregateKey): ItemKey => ({
    pk: aggregatePartition(key.dimension),
    sk: `${key.day}#${key.value}`,
  }),
  /**
   * One shard of one ingest day of the event stream on the byDay index: the partition
   * `keys.eventDay` in core/keys.ts puts an event in, named by day and shard instead of by lead.
   */
  eventDayShard: (day: string, shard: number): string => `DAY#${day}#${shard}`,
  /** The inclusive sort-key bounds of the aggregates of days `from`..`to` in one dimension. */
  dailyAggregateRange: (from: string, to: string) => ({ low: `${from}#`, high: `${to}#\uffff` }),
};

/** The metric partitions as `dynamodb:LeadingKeys` patterns (see `keyPatterns` in core/keys.ts). */
export const metricKeyPatterns = {
  /** The aggregator's watermark alone. */
  metricsWatermark: 'METRICS',
  /** Every dimension's daily aggregates. */
  dailyAggregates: 'METRICS#DAY#*',
} as const;

/**
 * The partition of each dimension. UTM campaigns keep `CAMPAIGN`, where they were stored before
 * marketing campaigns existed, so aggregates already folded stay where they are read.
 */
const partitionNames: Record<Dimension, string> = {
  total: 'TOTAL',
  source: 'SOURCE',
  utmCampaign: 'CAMPAIGN',
  owner: 'OWNER',
  campaign: 'MARKETINGCAMPAIGN',
};

export function aggregatePartition(dimension: Dimension): string {
  return `METRICS#DAY#${partitionNames[dimension]}`;
}
