import { describe, expect, it } from 'vitest';
import { emptyAggregate } from '../../core/metrics/aggregate';
import { computeKpis, mean, median, ratio, weakestStage, weakStageExplanations, type FunnelStageKpis } from '../../core/metrics/kpis';
import { metricsReport } from '../../core/metrics/report';
import { AggregateStore, captured, event, moved } from './metrics-fixtures';

const DAY = 86_400;

/**
 * Five leads with known outcomes (hand-computed expectations below):
 * L1 linkedin/spring, sam: new -> qualified -> presentation -> closing -> won 1000 USD, 4 days after capture
 * L2 linkedin/spring, alex: new -> qualified -> presentation -> objection -> closing -> won 3000 EUR, 6 days
 * L3 google, sam: new -> qualified -> presentation -> lost
 * L4 direct: new -> nurturing
 * L5 google (captured a day later), alex: new -> qualified -> presentation -> closing -> won 2000 USD, 3 days
 * Emails: 4 to prospects (3 of them for campaign cmp_welcome), 4 delivered, 1 opened (cmp_welcome), 1 unsubscribe (cmp_welcome);
 * an open and a click posted as engagement, which score but are no email outcome.
 */
function scriptedFunnel() {
  const day2 = '2026-03-02T00:00:00.000Z';
  const day3 = '2026-03-03T00:00:00.000Z';
  const sam = { owner: 'sam@example.com', leadCreatedAt: day2 };
  const alex = { owner: 'alex@example.com', leadCreatedAt: day2 };
  const alex5 = { owner: 'alex@example.com', leadCreatedAt: day3 };
  const welcome = { marketing: true, campaignId: 'cmp_welcome', step: 1 };
  return [
    captured(day2, 'linkedin', 'spring'),
    captured(day2, 'linkedin', 'spring'),
    captured(day2, 'google'),
    captured(day2, 'direct'),
    captured(day3, 'google'),
    // L1
    moved('2026-03-02T01:00:00.000Z', 'new', 'qualified', 3600, { ...sam, source: 'linkedin' }),
    moved('2026-03-03T01:00:00.000Z', 'qualified', 'presentation', DAY, { ...sam, source: 'linkedin' }),
    moved('2026-03-05T01:00:00.000Z', 'presentation', 'closing', 2 * DAY, { ...sam, source: 'linkedin' }),
    moved('2026-03-06T00:00:00.000Z', 'closing', 'won', 82_800, { ...sam, source: 'linkedin', dealValue: 1000, currency: 'USD' }),
    // L2
    moved('2026-03-02T02:00:00.000Z', 'new', 'qualified', 7200, { ...alex, source: 'linkedin' }),
    moved('2026-03-04T02:00:00.000Z', 'qualified', 'presentation', 2 * DAY, { ...alex, source: 'linkedin' }),
    moved('2026-03-05T02:00:00.000Z', 'presentation', 'objection', DAY, { ...alex, source: 'linkedin' }),
    moved('2026-03-06T02:00:00.000Z', 'objection', 'closing', DAY, { ...alex, source: 'linkedin' }),
    moved('2026-03-08T00:00:00.000Z', 'closing', 'won', 165_600, { ...alex, source: 'linkedin', dealValue: 3000, currency: 'EUR' }),
    // L3
    moved('2026-03-02T03:00:00.000Z', 'new', 'qualified', 10_800, { ...sam, source: 'google' }),
    moved('2026-03-03T03:00:00.000Z', 'qualified', 'presentation', DAY, { ...sam, source: 'google' }),
    moved('2026-03-04T03:00:00.000Z', 'presentation', 'lost', DAY, { ...sam, source: 'google' }),
    // L4: routed to nurturing, no owner
    moved('2026-03-02T04:00:00.000Z', 'new', 'nurturing', 14_400, { source: 'direct', leadCreatedAt: day2 }),
    // L5
    moved('2026-03-03T05:00:00.000Z', 'new', 'qualified', 18_000, { ...alex5, source: 'google' }),
    moved('2026-03-04T05:00:00.000Z', 'qualified', 'presentation', DAY, { ...alex5, source: 'google' }),
    moved('2026-03-05T05:00:00.000Z', 'presentation', 'closing', DAY, { ...alex5, source: 'google' }),
    moved('2026-03-06T00:00:00.000Z', 'closing', 'won', 68_400, { ...alex5, source: 'google', dealValue: 2000, currency: 'USD' }),
    // Email: 4 prospect emails (and a team reminder that is not marketing email)
    ...['a', 'b', 'c', 'd'].map((id) =>
      event('email_sent', day2, { template: 'welcome', recipient: 'prospect', stage: 'new', ...(id !== 'd' && welcome) }),
    ),
    event('email_sent', day2, { template: 'owner-reminder', recipient: 'team', stage: 'qualified' }),
    ...['a', 'b', 'c', 'd'].map((id) => event('email_delivered', day2, { messageId: id, ...(id !== 'd' && welcome) })),
    event('email_opened', day2, { messageId: 'a', ...welcome }),
    event('engagement', day2, { type: 'email_open', eventAt: day2 }),
    event('engagement', day2, { type: 'email_click', eventAt: day2 }),
    event('engagement', day2, { type: 'page_visit', eventAt: day2 }),
    event('unsubscribed', day3, { via: 'one-click', ...welcome }),
  ];
}

function reportFor(from: string, to: string, groupBy: 'day' | 'source' | 'owner' | 'campaign' | 'utm_campaign' = 'day') {
  const store = new AggregateStore();
  store.fold(scriptedFunnel(), '2026-04-01T00:00:00.000Z');
  return metricsReport({ from, to, groupBy }, store.all());
}

describe('KPIs of a scripted funnel', () => {
  const report = reportFor('2026-03-01', '2026-03-10');
  const { totals } = report;

  it('counts leads by source and campaign, and the qualification rate', () => {
    expect(totals.leads).toBe(5);
    expect(report.leadsBySource).toEqual([
      { source: 'google', leads: 2 },
      { source: 'linkedin', leads: 2 },
      { source: 'direct', leads: 1 },
    ]);
    expect(report.leadsByCampaign).toEqual([{ campaign: 'spring', leads: 2 }]);
    expect(totals.qualified).toBe(4);
    expect(totals.qualificationRate).toBe(0.8);
  });

  it('converts each funnel stage: forward moves out of the stage over all moves out of it', () => {
    const row = (stage: string) => totals.funnel.find((r) => r.stage === stage);
    expect(row('new')).toEqual({ stage: 'new', reached: 5, left: 5, advanced: 4, conversion: 0.8 });
    expect(row('qualified')).toEqual({ stage: 'qualified', reached: 4, left: 4, advanced: 4, conversion: 1 });
    expect(row('presentation')).toEqual({ stage: 'presentation', reached: 4, left: 4, advanced: 3, conversion: 0.75 });
    expect(row('objection')).toEqual({ stage: 'objection', reached: 1, left: 1, advanced: 1, conversion: 1 });
    expect(row('closing')).toEqual({ stage: 'closing', reached: 3, left: 3, advanced: 3, conversion: 1 });
    expect(row('won')).toEqual({ stage: 'won', reached: 3, left: 0, advanced: 0, conversion: null });
  });

  it('names the weakest stage with what it points at', () => {
    expect(report.weakestStage).toEqual({
      stage: 'presentation',
      conversion: 0.75,
      explanation: weakStageExplanations.presentation,
    });
    expect(report.weakestStage!.explanation).toMatch(/presentations may need refinement/i);
  });

  it('computes win rate, deal value and the sales cycle (odd count: the middle value)', () => {
    expect(totals.won).toBe(3);
    expect(totals.lost).toBe(1);
    expect(totals.winRate).toBe(0.75);
    // Per currency, never summed across them.
    expect(totals.deals).toEqual({ EUR: { count: 1, value: 3000, average: 3000 }, USD: { count: 2, value: 3000, average: 1500 } });
    // Cycles of 4, 6 and 3 days.
    expect(totals.salesCycleDays.deals).toBe(3);
    expect(totals.salesCycleDays.mean).toBeCloseTo(13 / 3, 10);
    expect(totals.salesCycleDays.median).toBe(4);
  });

  it('averages the time in each stage over the leads that left it', () => {
    expect(totals.averageDaysInStage.new).toBe(54_000 / 5 / DAY); // 0.125
    expect(totals.averageDaysInStage.qualified).toBe(1.25);
    expect(totals.averageDaysInStage.presentation).toBe(1.25);
    expect(totals.averageDaysInStage.objection).toBe(1);
    expect(totals.averageDaysInStage.closing).toBeCloseTo(316_800 / 3 / DAY, 10);
    expect(totals.averageDaysInStage.nurturing).toBeNull();
    expect(totals.averageDaysInStage.won).toBeNull();
  });

  it('rates email engagement per prospect email sent, from SES events only', () => {
    expect(totals.email).toEqual({
      sent: 4,
      delivered: 4,
      opened: 1,
      clicked: 0,
      bounced: 0,
      complained: 0,
      unsubscribed: 1,
      deliveryRate: 1,
      openRate: 0.25,
      clickRate: 0,
      bounceRate: 0,
      complaintRate: 0,
      unsubscribeRate: 0.25,
    });
  });

  it('gives each owner a win rate and cycle length (even count: the mean of the two middle values)', () => {
    expect(report.owners).toEqual([
      { owner: 'alex@example.com', won: 2, lost: 0, winRate: 1, salesCycleDays: { deals: 2, mean: 4.5, median: 4.5 } },
      { owner: 'sam@example.com', won: 1, lost: 1, winRate: 0.5, salesCycleDays: { deals: 1, mean: 4, median: 4 } },
    ]);
  });

  it('groups by day with one row for every day of the range, empty days as zeros', () => {
    expect(report.groups.map((g) => g.group)).toEqual([
      '2026-03-01',
      '2026-03-02',
      '2026-03-03',
      '2026-03-04',
      '2026-03-05',
      '2026-03-06',
      '2026-03-07',
      '2026-03-08',
      '2026-03-09',
      '2026-03-10',
    ]);
    const byDay = Object.fromEntries(report.groups.map((g) => [g.group, g.kpis]));
    expect(byDay['2026-03-01']!.leads).toBe(0);
    expect(byDay['2026-03-01']!.winRate).toBeNull();
    expect(byDay['2026-03-02']!.leads).toBe(4);
    expect(byDay['2026-03-03']!.leads).toBe(1);
    expect(byDay['2026-03-06']!.won).toBe(2);
    expect(byDay['2026-03-08']!.won).toBe(1);
  });

  it('groups by source and by owner', () => {
    const bySource = reportFor('2026-03-01', '2026-03-10', 'source');
    expect(bySource.groups.map((g) => [g.group, g.kpis.leads, g.kpis.won, g.kpis.lost])).toEqual([
      ['google', 2, 1, 1],
      ['linkedin', 2, 2, 0],
      ['direct', 1, 0, 0],
    ]);
    const byOwner = reportFor('2026-03-01', '2026-03-10', 'owner');
    expect(byOwner.groups.map((g) => [g.group, g.kpis.winRate, g.kpis.deals])).toEqual([
      ['alex@example.com', 1, { EUR: { count: 1, value: 3000, average: 3000 }, USD: { count: 1, value: 2000, average: 2000 } }],
      ['sam@example.com', 0.5, { USD: { count: 1, value: 1000, average: 1000 } }],
    ]);
  });

  it('groups by marketing campaign with its email KPIs, and by UTM campaign with its leads', () => {
    const byCampaign = reportFor('2026-03-01', '2026-03-10', 'campaign');
    expect(byCampaign.groups.map((g) => g.group)).toEqual(['cmp_welcome']);
    expect(byCampaign.groups[0]!.kpis.email).toMatchObject({
      sent: 3,
      delivered: 3,
      opened: 1,
      unsubscribed: 1,
      deliveryRate: 1,
      openRate: 1 / 3,
      unsubscribeRate: 1 / 3,
    });
    const byUtm = reportFor('2026-03-01', '2026-03-10', 'utm_campaign');
    expect(byUtm.groups.map((g) => [g.group, g.kpis.leads])).toEqual([['spring', 2]]);
    expect(byUtm.leadsByCampaign).toEqual([{ campaign: 'spring', leads: 2 }]);
  });

  it('only counts the days in the range', () => {
    const firstTwoDays = reportFor('2026-03-02', '2026-03-03');
    expect(firstTwoDays.totals.leads).toBe(5);
    expect(firstTwoDays.totals.won).toBe(0);
    expect(firstTwoDays.days).toBe(2);
    const lastDays = reportFor('2026-03-06', '2026-03-08');
    expect(lastDays.totals.leads).toBe(0);
    expect(lastDays.totals.won).toBe(3);
    expect(lastDays.totals.qualificationRate).toBeNull();
  });
});

describe('an empty range', () => {
  it('gives zeros and nulls, never NaN', () => {
    const report = metricsReport({ from: '2026-01-01', to: '2026-12-31', groupBy: 'day' }, []);
    expect(JSON.stringify(report)).not.toMatch(/NaN|Infinity/);
    expect(report.totals.leads).toBe(0);
    expect(report.totals.qualificationRate).toBeNull();
    expect(report.totals.winRate).toBeNull();
    expect(report.totals.deals).toEqual({});
    expect(report.totals.salesCycleDays).toEqual({ deals: 0, mean: null, median: null });
    expect(report.totals.email.openRate).toBeNull();
    expect(report.totals.funnel.every((row) => row.conversion === null)).toBe(true);
    expect(report.weakestStage).toBeNull();
    expect(report.groups).toHaveLength(365);
    expect(report.leadsBySource).toEqual([]);
    expect(report.owners).toEqual([]);
  });

  it('computes the same from an empty aggregate', () => {
    const kpis = computeKpis(emptyAggregate());
    expect(Object.values(kpis.averageDaysInStage).every((value) => value === null)).toBe(true);
  });
});

describe('median, mean and ratio', () => {
  it('takes the middle of an odd count and the mean of the two middle values of an even one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([7, 1, 3, 5])).toBe(4);
    expect(median([2])).toBe(2);
    expect(median([10, 20])).toBe(15);
    expect(median([])).toBeNull();
  });

  it('sorts numerically, not as text', () => {
    expect(median([10, 9, 100])).toBe(10);
  });

  it('gives null for no values or an empty denominator', () => {
    expect(mean([])).toBeNull();
    expect(mean([1, 2, 4])).toBeCloseTo(7 / 3, 10);
    expect(ratio(0, 0)).toBeNull();
    expect(ratio(1, 4)).toBe(0.25);
  });
});

describe('weakest stage', () => {
  const row = (stage: FunnelStageKpis['stage'], conversion: number | null): FunnelStageKpis => ({
    stage,
    reached: 1,
    left: 1,
    advanced: 0,
    conversion,
  });

  it('takes the lowest conversion, the earlier stage on a tie, and skips stages nobody left', () => {
    expect(weakestStage([row('new', 0.5), row('qualified', null), row('presentation', 0.5), row('closing', 0.9)])?.stage).toBe('new');
    expect(weakestStage([row('new', 0.9), row('objection', 0.2), row('closing', 0.4)])).toEqual({
      stage: 'objection',
      conversion: 0.2,
      explanation: weakStageExplanations.objection,
    });
  });

  it('has an explanation for every stage that can be weakest', () => {
    for (const explanation of Object.values(weakStageExplanations)) expect(explanation.length).toBeGreaterThan(20);
  });
});
