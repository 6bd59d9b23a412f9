import { describe, expect, it } from 'vitest';
import { ageInDays, decayFactor, decayedPoints, defaultScoringRules, scoreLead, type EngagementEvent } from '../../core/scoring';
import { NOW, daysAgo, leadWith, rulesDoc } from './scoring-fixtures';

describe('half-life decay', () => {
  it('halves the points every half-life', () => {
    expect(decayFactor(0, 14)).toBe(1);
    expect(decayFactor(14, 14)).toBe(0.5);
    expect(decayFactor(28, 14)).toBe(0.25);
    expect(decayFactor(7, 14)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(decayedPoints(10, 30, 10)).toBe(1.25);
  });

  it('measures age in days and treats future events as happening now', () => {
    expect(ageInDays('2026-11-25T00:00:00.000Z', NOW)).toBe(1.5);
    expect(ageInDays('2026-12-25T00:00:00.000Z', NOW)).toBe(0);
    expect(ageInDays('yesterday', NOW)).toBeUndefined();
  });
});

const engagementOnly = { weights: { fit: 0, engagement: 1 } };
const clicks = (extra: Record<string, unknown> = {}) =>
  rulesDoc(
    [
      {
        id: 'clicks',
        label: 'Clicks',
        kind: 'event',
        eventType: 'email_click',
        pointsPerEvent: 10,
        halfLifeDays: 10,
        maxPoints: 30,
        ...extra,
      },
    ],
    engagementOnly,
  );
const click = (at: string, properties?: EngagementEvent['properties']): EngagementEvent =>
  properties ? { type: 'email_click', at, properties } : { type: 'email_click', at };

describe('event rules', () => {
  it('sums decayed points per event: 10 + 5 + 2.5 for events 0, 10 and 20 days old', () => {
    const score = scoreLead(leadWith(), [click(daysAgo(0)), click(daysAgo(10)), click(daysAgo(20))], clicks(), NOW);
    expect(score.breakdown).toEqual([
      {
        ruleId: 'clicks',
        kind: 'event',
        category: 'engagement',
        points: 17.5,
        reason: 'Clicks: 3 × email_click at 10 points each, 17.5 after 10-day half-life decay',
      },
    ]);
    expect(score.engagement).toBe(17.5);
    expect(score.total).toBe(17.5);
  });

  it('caps a rule at maxPoints after decay and says so', () => {
    const events = [0, 1, 2, 3, 4].map((days) => click(daysAgo(days)));
    const line = scoreLead(leadWith(), events, clicks(), NOW).breakdown[0];
    // 10 * (1 + 2^-0.1 + 2^-0.2 + 2^-0.3 + 2^-0.4) = 10 * 4.3737 = 43.7
    expect(line?.points).toBe(30);
    expect(line?.reason).toBe('Clicks: 5 × email_click at 10 points each, 43.7 after 10-day half-life decay, capped at 30');
  });

  it('counts future-dated events at full value and ignores unparseable dates', () => {
    const score = scoreLead(leadWith(), [click('2030-01-01T00:00:00Z'), click('not a date')], clicks(), NOW);
    expect(score.engagement).toBe(10);
    expect(score.breakdown[0]?.reason).toContain('1 × email_click');
  });

  it('keeps a rule whose events decayed to nothing in the breakdown, at 0 points', () => {
    const score = scoreLead(leadWith(), [click('1990-01-01T00:00:00Z')], clicks(), NOW);
    expect(score.breakdown).toMatchObject([{ ruleId: 'clicks', points: 0 }]);
  });

  it('filters events on a property pattern', () => {
    const rules = clicks({ where: { property: 'url', matches: '/pricing' } });
    const events = [
      click(daysAgo(0), { url: 'https://x.example/pricing' }),
      click(daysAgo(0), { url: 'https://x.example/blog' }),
      click(daysAgo(0), { url: null }),
      click(daysAgo(0)),
    ];
    expect(scoreLead(leadWith(), events, rules, NOW).engagement).toBe(10);
  });

  it('ignores events of types no rule weighs', () => {
    const score = scoreLead(leadWith(), [{ type: 'meeting', at: daysAgo(0) }], clicks(), NOW);
    expect(score.breakdown).toEqual([]);
  });

  it('floors negative engagement at 0 with its own line', () => {
    const rules = rulesDoc(
      [{ id: 'bounces', label: 'Bounces', kind: 'event', eventType: 'email_open', pointsPerEvent: -8, halfLifeDays: 30, maxPoints: 10 }],
      engagementOnly,
    );
    const score = scoreLead(
      leadWith(),
      [
        { type: 'email_open', at: daysAgo(0) },
        { type: 'email_open', at: daysAgo(0) },
      ],
      rules,
      NOW,
    );
    expect(score.breakdown.map(({ ruleId, points }) => [ruleId, points])).toEqual([
      ['bounces', -10],
      ['floor:engagement', 10],
    ]);
    expect(score.engagement).toBe(0);
  });

  it('does not depend on the order the events arrive in', () => {
    const events = Array.from({ length: 200 }, (_, i) => click(daysAgo((i * 7.3) % 90)));
    const forward = scoreLead(leadWith(), events, defaultScoringRules, NOW);
    const backward = scoreLead(leadWith(), [...events].reverse(), defaultScoringRules, NOW);
    expect(backward).toEqual(forward);
  });

  it('weighs the default rules as documented: an open 7 days ago is worth 2 * 2^-0.5 = 1.4', () => {
    const score = scoreLead(leadWith(), [{ type: 'email_open', at: daysAgo(7) }], defaultScoringRules, NOW);
    expect(score.breakdown).toMatchObject([{ ruleId: 'email-opens', points: 1.4 }]);
  });

  it('counts a pricing-page visit as a visit and as a pricing visit', () => {
    const score = scoreLead(
      leadWith(),
      [
        { type: 'page_visit', at: daysAgo(0), properties: { path: '/pricing' } },
        { type: 'page_visit', at: daysAgo(0), properties: { path: '/pricing-history' } },
      ],
      defaultScoringRules,
      NOW,
    );
    expect(score.breakdown.map(({ ruleId, points }) => [ruleId, points])).toEqual([
      ['page-visits', 2],
      ['pricing-page-visits', 5],
    ]);
  });
});
