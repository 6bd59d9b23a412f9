import { describe, expect, it } from 'vitest';
import { defaultScoringRules, routingDecision, scoreLead, type EngagementEvent, type ScorableLead } from '../../core/scoring';

/**
 * The worked example of the README: a VP of Engineering at a 201-1000 software company, scored
 * by the default rules with two email opens and one click.
 */
const now = new Date('2026-11-26T12:00:00.000Z');
const lead: ScorableLead = {
  email: 'dana.kim@northwind-analytics.example',
  source: 'google',
  customFields: {},
  profile: {
    firstName: 'Dana',
    lastName: 'Kim',
    company: 'Northwind Analytics',
    jobTitle: 'VP of Engineering',
    country: 'United States',
    industry: 'Software',
    companySize: '201-1000',
    budget: '$25k-$100k',
    timeline: 'This quarter',
    message: 'Our pipeline reporting lives in spreadsheets; we need one place for it.',
  },
};
const events: EngagementEvent[] = [
  { type: 'email_open', at: '2026-11-25T12:00:00.000Z' },
  { type: 'email_open', at: '2026-11-23T12:00:00.000Z' },
  { type: 'email_click', at: '2026-11-25T12:00:00.000Z', properties: { url: 'https://leadflow.example/demo' } },
];

describe('worked example: VP of Engineering, default rules', () => {
  it('explains every point', () => {
    const score = scoreLead(lead, events, defaultScoringRules, now);
    expect(score).toEqual({
      rulesVersion: defaultScoringRules.version,
      // 20 + 20 + 10 + 12 + 10 + 15 + 5
      fit: 92,
      // opens: 2 * 2^(-1/14) + 2 * 2^(-3/14) = 1.903 + 1.724 = 3.6; click: 5 * 2^(-1/14) = 4.8
      engagement: 8.4,
      // 0.7 * 92 + 0.3 * 8.4 = 66.92
      total: 66.9,
      grade: 'B',
      weights: { fit: 0.7, engagement: 0.3 },
      breakdown: [
        { ruleId: 'budget', kind: 'enum', category: 'fit', points: 20, reason: 'BANT budget: budget is "$25k-$100k"' },
        {
          ruleId: 'authority-executive',
          kind: 'regex',
          category: 'fit',
          points: 20,
          reason: 'BANT authority, decision maker (C-level, VP, Head, Director): job title contains "VP"',
        },
        { ruleId: 'need', kind: 'keywords', category: 'fit', points: 10, reason: 'BANT need: message mentions "pipeline", "reporting"' },
        { ruleId: 'timeline', kind: 'enum', category: 'fit', points: 12, reason: 'BANT timeline: timeline is "This quarter"' },
        {
          ruleId: 'icp-industry-core',
          kind: 'list',
          category: 'fit',
          points: 10,
          reason: 'ICP core industry: industry "Software" is listed',
        },
        { ruleId: 'icp-company-size', kind: 'enum', category: 'fit', points: 15, reason: 'ICP company size: company size is "201-1000"' },
        { ruleId: 'icp-country', kind: 'list', category: 'fit', points: 5, reason: 'ICP served market: country "United States" is listed' },
        {
          ruleId: 'email-opens',
          kind: 'event',
          category: 'engagement',
          points: 3.6,
          reason: 'Email opens: 2 × email_open at 2 points each, 3.6 after 14-day half-life decay',
        },
        {
          ruleId: 'email-clicks',
          kind: 'event',
          category: 'engagement',
          points: 4.8,
          reason: 'Email clicks: 1 × email_click at 5 points each, 4.8 after 14-day half-life decay',
        },
      ],
      scoredAt: '2026-11-26T12:00:00.000Z',
    });
    expect(routingDecision(score, defaultScoringRules)).toBe('qualified');
  });

  it('gives the same score for the same inputs, rules version and time, without touching them', () => {
    const frozen = deepFreeze(structuredClone({ lead, events }));
    const first = scoreLead(frozen.lead, frozen.events, defaultScoringRules, now);
    expect(scoreLead(frozen.lead, frozen.events, defaultScoringRules, new Date(now))).toEqual(first);
    expect(frozen).toEqual({ lead, events });
  });

  it('lets the same events count for less as time passes', () => {
    const later = scoreLead(lead, events, defaultScoringRules, new Date('2026-12-24T12:00:00.000Z'));
    expect(later.fit).toBe(92);
    // Four weeks later every event is two half-lives older: a quarter of its worth.
    expect(later.engagement).toBe(2.1);
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
