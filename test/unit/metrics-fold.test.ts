import { describe, expect, it } from 'vitest';
import { counter } from '../../core/metrics/aggregate';
import { contributionsOf, type MetricEvent } from '../../core/metrics/events';
import { planCommits } from '../../core/metrics/fold';
import { metricKeys } from '../../core/metrics/keys';
import { mergeShards, type NextPage } from '../../core/metrics/merge';
import { metricsReport } from '../../core/metrics/report';
import { EVENT_SHARDS, keys, shardOf } from '../../core/keys';
import { AggregateStore, captured, event, moved } from './metrics-fixtures';

const leadsOn = (store: AggregateStore, day: string) => metricsReport({ from: day, to: day, groupBy: 'day' }, store.all()).totals.leads;

describe('what an event contributes', () => {
  it('counts a capture for the day total, its source and its UTM campaign', () => {
    const contributions = contributionsOf(captured('2026-03-02T10:00:00.000Z', 'linkedin', 'spring'));
    expect(contributions.map((c) => c.key)).toEqual([
      { day: '2026-03-02', dimension: 'total', value: 'all' },
      { day: '2026-03-02', dimension: 'source', value: 'linkedin' },
      { day: '2026-03-02', dimension: 'utmCampaign', value: 'spring' },
    ]);
    expect(contributions.every((c) => c.delta.counters[counter.leads] === 1)).toBe(true);
  });

  it('counts a won move with its deal value and the cycle since capture, for the total, source and owner', () => {
    const won = moved('2026-03-05T12:00:00.000Z', 'closing', 'won', 600, {
      owner: 'Sam@Example.com',
      source: 'google',
      dealValue: 2500,
      currency: 'EUR',
      leadCreatedAt: '2026-03-01T12:00:00.000Z',
    });
    const contributions = contributionsOf(won);
    expect(contributions.map((c) => [c.key.dimension, c.key.value])).toEqual([
      ['total', 'all'],
      ['source', 'google'],
      ['owner', 'sam@example.com'],
    ]);
    expect(contributions[0]!.delta).toEqual({
      counters: { moves_closing_won: 1, secondsIn_closing: 600, deals_EUR: 1, dealValue_EUR: 2500 },
      cycleSeconds: [4 * 86_400],
    });
  });

  it('ignores team emails, other event types and malformed entries instead of failing', () => {
    const at = '2026-03-02T10:00:00.000Z';
    expect(contributionsOf(event('email_sent', at, { recipient: 'team' }))).toEqual([]);
    expect(contributionsOf(event('timer_fired', at, { stage: 'new' }))).toEqual([]);
    expect(contributionsOf(event('engagement', at, { type: 'page_visit' }))).toEqual([]);
    expect(contributionsOf(event('stage_changed', at, { from: 'new', to: 'bogus', secondsInPrevious: 1 }))).toEqual([]);
    expect(contributionsOf(event('captured', at, {}))).toEqual([]);
    expect(contributionsOf(event('captured', 'not a time', { source: 'x' }))).toEqual([]);
  });

  it('keeps dimension values short enough for a sort key', () => {
    const [, , campaign] = contributionsOf(captured('2026-03-02T10:00:00.000Z', 'ads', 'c'.repeat(5000)));
    expect(campaign!.key.value).toHaveLength(200);
  });
});

describe('folding past a watermark', () => {
  it('counts nothing twice when the same window is folded again', () => {
    const store = new AggregateStore();
    const events = [captured('2026-03-02T10:00:00.000Z', 'google'), captured('2026-03-02T11:00:00.000Z', 'google')];
    expect(store.fold(events, '2026-03-02T12:00:00.000Z')).toBe(2);
    // A rerun, a retry or an overlapping run reads the same events again (and one new one).
    const rerun = [...events, captured('2026-03-02T12:30:00.000Z', 'google')];
    expect(store.fold(rerun, '2026-03-02T12:00:00.000Z')).toBe(0);
    expect(store.fold(rerun, '2026-03-02T13:00:00.000Z')).toBe(1);
    expect(leadsOn(store, '2026-03-02')).toBe(3);
    expect(store.watermark).toBe('2026-03-02T13:00:00.000Z');
  });

  it('leaves events after the cutoff for the next run', () => {
    const store = new AggregateStore();
    const events = [captured('2026-03-02T10:00:00.000Z', 'google'), captured('2026-03-02T10:05:00.000Z', 'google')];
    expect(store.fold(events, '2026-03-02T10:05:00.000Z')).toBe(1);
    expect(store.fold(events, '2026-03-02T11:00:00.000Z')).toBe(1);
    expect(leadsOn(store, '2026-03-02')).toBe(2);
  });

  it('counts a late event for the day it happened, although it was written after the watermark passed that day', () => {
    const store = new AggregateStore();
    store.fold([captured('2026-03-02T10:00:00.000Z', 'google')], '2026-03-05T00:00:00.000Z');
    // Written on 03-06 (so it sorts after the watermark) about something that happened on 03-02.
    const late = captured('2026-03-02T15:00:00.000Z', 'google', undefined, '2026-03-06T09:00:00.000Z');
    expect(store.fold([late], '2026-03-06T10:00:00.000Z')).toBe(1);
    expect(leadsOn(store, '2026-03-02')).toBe(2);
    expect(leadsOn(store, '2026-03-06')).toBe(0);
  });

  it('cuts a batch into commits of at most maxItems aggregates, each moving the watermark to its last event', () => {
    const events = Array.from({ length: 150 }, (_, i) =>
      captured(`2026-03-02T10:00:${String(Math.floor(i / 10)).padStart(2, '0')}.${String(i % 10).padStart(3, '0')}Z`, `source-${i}`),
    );
    const commits = planCommits(events, { watermark: '2026-03-02T00:00:00.000Z', upTo: '2026-03-02T11:00:00.000Z', maxItems: 99 });
    // The day total plus 98 sources fill the first commit; the rest go in the second.
    expect(commits.map((c) => [c.deltas.length, c.events])).toEqual([
      [99, 98],
      [53, 52],
    ]);
    expect(commits[0]!.watermark).toBe(events[97]!.position);
    expect(commits[1]!.watermark).toBe('2026-03-02T11:00:00.000Z');

    const store = new AggregateStore();
    store.watermark = '2026-03-02T00:00:00.000Z';
    expect(store.apply(commits)).toBe(150);
    expect(leadsOn(store, '2026-03-02')).toBe(150);
  });

  it('resumes after the last whole commit when a run stops half-way', () => {
    const events = Array.from({ length: 150 }, (_, i) => captured(`2026-03-02T10:00:00.${String(i).padStart(3, '0')}Z`, `source-${i}`));
    const store = new AggregateStore();
    store.watermark = '2026-03-02T00:00:00.000Z';
    const window = { watermark: store.watermark, upTo: '2026-03-02T11:00:00.000Z', maxItems: 99 };
    store.apply(planCommits(events, window).slice(0, 1));
    // The next run starts again from the stored watermark and reads everything again.
    expect(store.fold(events, '2026-03-02T11:00:00.000Z')).toBe(52);
    expect(leadsOn(store, '2026-03-02')).toBe(150);
  });

  it('moves the watermark even when nothing happened, and never backwards', () => {
    expect(planCommits([], { watermark: 'a', upTo: 'b', maxItems: 99 })).toEqual([{ deltas: [], events: 0, watermark: 'b' }]);
    expect(planCommits([], { watermark: 'b', upTo: 'a', maxItems: 99 })).toEqual([]);
  });
});

describe('merging the shards of a day', () => {
  function shard(positions: string[], pageSize = 2): NextPage {
    const pages: string[][] = [];
    for (let i = 0; i < positions.length; i += pageSize) pages.push(positions.slice(i, i + pageSize));
    let next = 0;
    return () => {
      const page = pages[next++] ?? [];
      return Promise.resolve({
        events: page.map((position) => ({ ...event('x', '2026-03-02T00:00:00.000Z', {}), position })),
        done: next >= pages.length,
      });
    };
  }

  it('yields events in position order, each batch complete up to its readThrough', async () => {
    const shards = [shard(['01', '04', '05', '09']), shard(['02', '03', '08']), shard([])];
    const seen: string[] = [];
    const all = ['01', '02', '03', '04', '05', '08', '09'];
    for await (const batch of mergeShards(shards)) {
      seen.push(...batch.events.map((e: MetricEvent) => e.position));
      expect(seen).toEqual([...seen].sort());
      if (batch.readThrough !== undefined) expect(seen).toEqual(all.filter((p) => p <= batch.readThrough!));
    }
    expect(seen).toEqual(all);
  });
});

describe('metric keys', () => {
  it('name the byDay shard partition that core/keys.ts puts an event in', () => {
    const leadId = 'ld_AAAAAAAAAAAAAAAAAAAAAA';
    expect(metricKeys.eventDayShard('2026-03-02', shardOf(leadId, EVENT_SHARDS))).toBe(
      keys.eventDay(leadId, '2026-03-02T10:00:00.000Z', 'e1').gsi2pk,
    );
  });

  it('keep one dimension per partition, sorted by day', () => {
    expect(metricKeys.dailyAggregate({ day: '2026-03-02', dimension: 'source', value: 'google' })).toEqual({
      pk: 'METRICS#DAY#SOURCE',
      sk: '2026-03-02#google',
    });
    const { low, high } = metricKeys.dailyAggregateRange('2026-03-01', '2026-03-31');
    for (const sk of ['2026-03-01#a', '2026-03-31#zzz', '2026-03-31#all']) expect(sk >= low && sk <= high).toBe(true);
    for (const sk of ['2026-02-28#z', '2026-04-01#a']) expect(sk >= low && sk <= high).toBe(false);
  });
});
