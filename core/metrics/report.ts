import { addInto, count, counter, emptyAggregate, sumAggregates, type Aggregate } from './aggregate';
import { daysInRange, eachDay } from './days';
import type { AggregateKey, Dimension } from './keys';
import { computeKpis, weakestStage, type Kpis, type WeakestStage } from './kpis';
import type { GroupBy, MetricsQuery } from './query';

export interface StoredAggregate {
  key: AggregateKey;
  aggregate: Aggregate;
}

export interface OwnerKpis {
  owner: string;
  won: number;
  lost: number;
  winRate: number | null;
  salesCycleDays: Kpis['salesCycleDays'];
}

export interface MetricsReport {
  from: string;
  to: string;
  days: number;
  groupBy: GroupBy;
  totals: Kpis;
  weakestStage: WeakestStage | null;
  leadsBySource: Array<{ source: string; leads: number }>;
  leadsByCampaign: Array<{ campaign: string; leads: number }>;
  owners: OwnerKpis[];
  /**
   * One row per day of the range (days without events are zeros), or per source, owner,
   * marketing campaign (by emails sent) or UTM campaign (by leads).
   */
  groups: Array<{ group: string; kpis: Kpis }>;
}

/** The KPIs of a range from its daily aggregates (every dimension of every day in the range). */
export function metricsReport(query: MetricsQuery, aggregates: readonly StoredAggregate[]): MetricsReport {
  const inRange = aggregates.filter(({ key }) => key.day >= query.from && key.day <= query.to);
  const of = (dimension: Dimension) => inRange.filter(({ key }) => key.dimension === dimension);
  const totals = computeKpis(sumAggregates(of('total').map(({ aggregate }) => aggregate)));

  const bySource = sumByValue(of('source'));
  const byOwner = sumByValue(of('owner'));
  const byUtmCampaign = sumByValue(of('utmCampaign'));
  const groups = {
    day: () => {
      const byDay = new Map(eachDay(query.from, query.to).map((day) => [day, emptyAggregate()]));
      for (const { key, aggregate } of of('total')) {
        const day = byDay.get(key.day);
        if (day) addInto(day, aggregate);
      }
      return [...byDay].map(([group, aggregate]) => ({ group, kpis: computeKpis(aggregate) }));
    },
    source: () =>
      [...bySource]
        .map(([group, aggregate]) => ({ group, kpis: computeKpis(aggregate) }))
        .sort((a, b) => b.kpis.leads - a.kpis.leads || compare(a.group, b.group)),
    owner: () =>
      [...byOwner].map(([group, aggregate]) => ({ group, kpis: computeKpis(aggregate) })).sort((a, b) => compare(a.group, b.group)),
    campaign: () =>
      [...sumByValue(of('campaign'))]
        .map(([group, aggregate]) => ({ group, kpis: computeKpis(aggregate) }))
        .sort((a, b) => b.kpis.email.sent - a.kpis.email.sent || compare(a.group, b.group)),
    utm_campaign: () =>
      [...byUtmCampaign]
        .map(([group, aggregate]) => ({ group, kpis: computeKpis(aggregate) }))
        .sort((a, b) => b.kpis.leads - a.kpis.leads || compare(a.group, b.group)),
  };

  return {
    from: query.from,
    to: query.to,
    days: daysInRange(query.from, query.to),
    groupBy: query.groupBy,
    totals,
    weakestStage: weakestStage(totals.funnel),
    leadsBySource: leadCounts(bySource).map(([source, leads]) => ({ source, leads })),
    leadsByCampaign: leadCounts(byUtmCampaign).map(([campaign, leads]) => ({ campaign, leads })),
    owners: [...byOwner]
      .map(([owner, aggregate]) => {
        const kpis = computeKpis(aggregate);
        return { owner, won: kpis.won, lost: kpis.lost, winRate: kpis.winRate, salesCycleDays: kpis.salesCycleDays };
      })
      .sort((a, b) => compare(a.owner, b.owner)),
    groups: groups[query.groupBy](),
  };
}

function sumByValue(aggregates: readonly StoredAggregate[]): Map<string, Aggregate> {
  const sums = new Map<string, Aggregate>();
  for (const { key, aggregate } of aggregates) {
    const sum = sums.get(key.value) ?? emptyAggregate();
    sums.set(key.value, addInto(sum, aggregate));
  }
  return sums;
}

/** Values with leads, most leads first (ties by name, so the order is stable). */
function leadCounts(sums: Map<string, Aggregate>): Array<[string, number]> {
  return [...sums]
    .map(([value, aggregate]): [string, number] => [value, count(aggregate, counter.leads)])
    .filter(([, leads]) => leads > 0)
    .sort((a, b) => b[1] - a[1] || compare(a[0], b[0]));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
