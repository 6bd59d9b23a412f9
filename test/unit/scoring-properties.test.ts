import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { profileFields, type Profile } from '../../core/profile';
import {
  defaultScoringRules,
  engagementEventTypes,
  gradeFor,
  parseScoringRules,
  routingDecision,
  scoreLead,
  scoreSchema,
  sumPoints,
  type EngagementEvent,
  type Score,
  type ScorableLead,
  type ScoringRules,
} from '../../core/scoring';

// Strings from every corner: any code point, lone surrogates, and the characters rules care about.
const anyText = fc.string({
  unit: fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.constantFrom('\ud83d', '\ude00', '@', '.', ' ', '\n', '-', '*', '$'),
  ),
  maxLength: 60,
});

// Values the default rules know, so the arbitrary leads also fire rules, not just miss them.
const knownValues = fc.constantFrom(
  '1-10',
  '11-50',
  '51-200',
  '201-1000',
  '1000+',
  '< $5k',
  '$5k-$25k',
  '$25k-$100k',
  '> $100k',
  'Now',
  'This quarter',
  'This year',
  'Just researching',
  'Software',
  'Financial services',
  'Healthcare',
  'Education',
  'Other',
  'United States',
  'DE',
  'VP of Engineering',
  'Chief Executive Officer',
  'Sales manager',
  'Marketing intern',
  'PhD candidate',
  'We need pipeline reporting, CRM integration, forecasting and automation asap',
  'homework for my thesis',
);
const fieldValue = fc.option(fc.oneof(knownValues, anyText), { nil: undefined });

const profileArb = fc.record(
  Object.fromEntries(profileFields.map((field) => [field, fieldValue])) as Record<keyof Profile, fc.Arbitrary<string | undefined>>,
  { requiredKeys: [] },
);

const emailArb = fc.oneof(
  anyText,
  fc
    .tuple(anyText, fc.constantFrom('acme.example', 'gmail.com', 'GMAIL.com', 'eu.competitor.example', 'mailinator.com', ''))
    .map(([local, domain]) => `${local}@${domain}`),
);

const leadArb: fc.Arbitrary<ScorableLead> = fc.record(
  {
    email: emailArb,
    profile: profileArb,
    customFields: fc.dictionary(fc.oneof(anyText, fc.constantFrom('constructor', '__proto__', 'employees')), anyText, { maxKeys: 5 }),
    source: anyText,
  },
  { requiredKeys: ['email', 'profile'] },
);

// From before the epoch to the far future, plus timestamps that do not parse.
const instantArb = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });
const eventArb: fc.Arbitrary<EngagementEvent> = fc.record(
  {
    type: fc.constantFrom(...engagementEventTypes),
    at: fc.oneof({ weight: 9, arbitrary: instantArb.map((date) => date.toISOString()) }, { weight: 1, arbitrary: anyText }),
    properties: fc.dictionary(
      fc.constantFrom('path', 'url', 'x'),
      fc.oneof(fc.constantFrom('/pricing', '/plans/pro', '/blog'), anyText, fc.integer(), fc.boolean(), fc.constant(null)),
      { maxKeys: 3 },
    ),
  },
  { requiredKeys: ['type', 'at'] },
);
const nowArb = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true });

/** The default rules with every number replaced: any points, caps, half-lives, weights and bands. */
const rulesArb: fc.Arbitrary<ScoringRules> = fc
  .record({
    amounts: fc.array(fc.double({ min: -100, max: 100, noNaN: true }), {
      minLength: defaultScoringRules.rules.length,
      maxLength: defaultScoringRules.rules.length,
    }),
    caps: fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), {
      minLength: defaultScoringRules.rules.length,
      maxLength: defaultScoringRules.rules.length,
    }),
    halfLife: fc.double({ min: 0.01, max: 3650, noNaN: true }),
    fitWeight: fc.double({ min: 0, max: 1, noNaN: true }),
    bands: fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 3, maxLength: 3 }),
  })
  .map(({ amounts, caps, halfLife, fitWeight, bands }) => {
    const [A, B, C] = [...bands].sort((a, b) => b - a).map((tenths) => tenths / 10);
    return parseScoringRules({
      ...defaultScoringRules,
      version: 'random',
      weights: { fit: fitWeight, engagement: 1 - fitWeight },
      grades: { A, B, C },
      rules: defaultScoringRules.rules.map((rule, i) => {
        const amount = amounts[i]!;
        const cap = caps[i]!;
        switch (rule.kind) {
          case 'event':
            return { ...rule, pointsPerEvent: amount === 0 ? 1 : amount, maxPoints: cap, halfLifeDays: halfLife };
          case 'keywords':
            return { ...rule, pointsPerKeyword: amount, maxPoints: cap };
          case 'enum':
            return {
              ...rule,
              pointsByValue: Object.fromEntries(Object.keys(rule.pointsByValue).map((value, j) => [value, (amount * (j + 1)) % 100])),
            };
          default:
            return { ...rule, points: amount };
        }
      }),
    });
  });

const tenthsOf = (points: number) => Math.round(points * 10);

/** The invariants every score keeps, whatever went in. */
function expectExplainable(score: Score, rules: ScoringRules): void {
  expect(scoreSchema.parse(score)).toEqual(score);
  for (const value of [score.fit, score.engagement, score.total]) {
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(100);
  }
  for (const line of score.breakdown) {
    expect(Math.abs(line.points * 10 - tenthsOf(line.points))).toBeLessThan(1e-9);
  }
  const linesOf = (category: string) => score.breakdown.filter((line) => line.category === category).map((line) => line.points);
  expect(sumPoints(linesOf('fit'))).toBe(score.fit);
  expect(sumPoints(linesOf('engagement'))).toBe(score.engagement);
  expect(Math.abs(score.total - (score.fit * rules.weights.fit + score.engagement * rules.weights.engagement))).toBeLessThanOrEqual(
    0.05 + 1e-9,
  );
  expect(score.grade).toBe(gradeFor(score.total, rules.grades));
  const ruleIds = new Set([...rules.rules.map((rule) => rule.id), 'cap:fit', 'floor:fit', 'cap:engagement', 'floor:engagement']);
  const lineIds = score.breakdown.map((line) => line.ruleId);
  expect(lineIds.every((id) => ruleIds.has(id))).toBe(true);
  expect(new Set(lineIds).size).toBe(lineIds.length);
  expect(['qualified', 'nurturing', 'disqualified']).toContain(routingDecision(score, rules));
}

describe('scoring properties', () => {
  it('explains every score of the default rules: lines add up, values stay in 0-100', () => {
    fc.assert(
      fc.property(leadArb, fc.array(eventArb, { maxLength: 40 }), nowArb, (lead, events, now) => {
        expectExplainable(scoreLead(lead, events, defaultScoringRules, now), defaultScoringRules);
      }),
      { numRuns: 500 },
    );
  });

  it('explains every score of arbitrary rule numbers, where caps and floors fire', () => {
    fc.assert(
      fc.property(rulesArb, leadArb, fc.array(eventArb, { maxLength: 40 }), nowArb, (rules, lead, events, now) => {
        expectExplainable(scoreLead(lead, events, rules, now), rules);
      }),
      { numRuns: 300 },
    );
  });

  it('stays explainable and in range with very many events', () => {
    fc.assert(
      fc.property(
        rulesArb,
        fc.array(eventArb, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1_000, max: 20_000 }),
        nowArb,
        (rules, pattern, count, now) => {
          const events = Array.from({ length: count }, (_, i) => pattern[i % pattern.length]!);
          expectExplainable(scoreLead({ email: 'x@acme.example', profile: {} }, events, rules, now), rules);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('is deterministic: the same inputs give the same score, in any event order', () => {
    fc.assert(
      fc.property(leadArb, fc.array(eventArb, { maxLength: 40 }), nowArb, fc.integer(), (lead, events, now, seed) => {
        const first = scoreLead(lead, events, defaultScoringRules, now);
        const shuffled = [...events].sort((a, b) => hash(a, seed) - hash(b, seed));
        const reparsedRules = parseScoringRules(JSON.parse(JSON.stringify(defaultScoringRules)));
        expect(scoreLead(structuredClone(lead), shuffled, reparsedRules, new Date(now.getTime()))).toEqual(first);
      }),
      { numRuns: 200 },
    );
  });
});

function hash(event: EngagementEvent, seed: number): number {
  let h = seed | 0;
  for (const char of JSON.stringify(event)) h = Math.imul(h ^ char.charCodeAt(0), 16777619);
  return h;
}
