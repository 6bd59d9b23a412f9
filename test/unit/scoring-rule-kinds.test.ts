import { describe, expect, it } from 'vitest';
import { scoreLead, sumPoints } from '../../core/scoring';
import { NOW, leadWith, rulesDoc } from './scoring-fixtures';

function fitOf(rule: Record<string, unknown>, lead = leadWith()) {
  return scoreLead(lead, [], rulesDoc([{ id: 'r', label: 'Rule', ...rule }]), NOW);
}

describe('compare rules', () => {
  const employees = (value: string | undefined, op: string, target: number) =>
    fitOf(
      { kind: 'compare', field: 'customFields.employees', op, value: target, points: 10 },
      leadWith({}, { customFields: value === undefined ? {} : { employees: value } }),
    ).fit;

  it.each([
    ['eq', '5', 10],
    ['eq', '5.0', 10],
    ['eq', '6', 0],
    ['ne', '6', 10],
    ['ne', '5', 0],
    ['gt', '6', 10],
    ['gt', '5', 0],
    ['gte', '5', 10],
    ['gte', '4', 0],
    ['lt', '4', 10],
    ['lt', '5', 0],
    ['lte', '5', 10],
    ['lte', '6', 0],
  ])('%s 5 with value %s gives %d points', (op, value, points) => {
    expect(employees(value, op, 5)).toBe(points);
  });

  it('does not fire on missing, empty or non-numeric values', () => {
    for (const value of [undefined, '', '  ', 'five', '5 people', 'Infinity']) {
      expect(employees(value, 'gte', 0)).toBe(0);
    }
  });

  it('explains the comparison', () => {
    const score = fitOf(
      { kind: 'compare', field: 'customFields.employees', op: 'gte', value: 200, points: 10 },
      leadWith({}, { customFields: { employees: '250' } }),
    );
    expect(score.breakdown).toEqual([{ ruleId: 'r', kind: 'compare', category: 'fit', points: 10, reason: 'Rule: employees "250" ≥ 200' }]);
  });
});

describe('range rules', () => {
  const inRange = (value: string, bounds: Record<string, number>) =>
    fitOf({ kind: 'range', field: 'customFields.seats', ...bounds, points: 7 }, leadWith({}, { customFields: { seats: value } })).fit;

  it('includes the lower bound and excludes the upper one', () => {
    expect(inRange('49.9', { gte: 50, lt: 200 })).toBe(0);
    expect(inRange('50', { gte: 50, lt: 200 })).toBe(7);
    expect(inRange('199.9', { gte: 50, lt: 200 })).toBe(7);
    expect(inRange('200', { gte: 50, lt: 200 })).toBe(0);
  });

  it('leaves a missing bound open', () => {
    expect(inRange('-1000000', { lt: 10 })).toBe(7);
    expect(inRange('1e9', { gte: 10 })).toBe(7);
  });

  it('explains the band', () => {
    const score = fitOf(
      { kind: 'range', field: 'customFields.seats', gte: 50, points: 7 },
      leadWith({}, { customFields: { seats: '75' } }),
    );
    expect(score.breakdown[0]?.reason).toBe('Rule: seats "75" is in [50, ∞)');
  });
});

describe('enum rules', () => {
  const rule = { kind: 'enum', field: 'profile.timeline', pointsByValue: { Now: 15, 'This quarter': 12, 'Just researching': 0 } };

  it('gives the points of the matching value, ignoring case, width and surrounding space', () => {
    expect(fitOf(rule, leadWith({ timeline: 'Now' })).fit).toBe(15);
    expect(fitOf(rule, leadWith({ timeline: '  this QUARTER ' })).fit).toBe(12);
    expect(fitOf(rule, leadWith({ timeline: 'Ｎｏｗ' })).fit).toBe(15);
  });

  it('fires with 0 points for a value worth nothing, so the breakdown shows it was seen', () => {
    expect(fitOf(rule, leadWith({ timeline: 'Just researching' })).breakdown).toEqual([
      { ruleId: 'r', kind: 'enum', category: 'fit', points: 0, reason: 'Rule: timeline is "Just researching"' },
    ]);
  });

  it('does not fire for an unknown or missing value', () => {
    expect(fitOf(rule, leadWith({ timeline: 'Next decade' })).breakdown).toEqual([]);
    expect(fitOf(rule, leadWith({})).breakdown).toEqual([]);
  });
});

describe('list rules', () => {
  const rule = { kind: 'list', field: 'profile.industry', values: ['Software', 'Financial services'], points: 10 };

  it('fires when the value is in the list, ignoring case and width', () => {
    expect(fitOf(rule, leadWith({ industry: 'financial SERVICES' })).fit).toBe(10);
    expect(fitOf(rule, leadWith({ industry: 'Ｓｏｆｔｗａｒｅ' })).fit).toBe(10);
  });

  it('needs the whole value, not a part of it', () => {
    expect(fitOf(rule, leadWith({ industry: 'Software consulting' })).fit).toBe(0);
  });

  it('explains the membership', () => {
    expect(fitOf(rule, leadWith({ industry: 'Software' })).breakdown[0]?.reason).toBe('Rule: industry "Software" is listed');
  });
});

describe('regex rules', () => {
  const rule = { kind: 'regex', field: 'profile.jobTitle', pattern: '\\b(?:vp|director)\\b', points: 20 };

  it('matches case-insensitively and quotes the matched part', () => {
    const score = fitOf(rule, leadWith({ jobTitle: 'Senior Director, Revenue Operations' }));
    expect(score.fit).toBe(20);
    expect(score.breakdown[0]?.reason).toBe('Rule: job title contains "Director"');
  });

  it('does not fire without a match', () => {
    expect(fitOf(rule, leadWith({ jobTitle: 'Directorate liaison' })).fit).toBe(0);
  });
});

describe('keyword rules', () => {
  const rule = {
    kind: 'keywords',
    field: 'profile.message',
    keywords: ['pipeline', 'lead scoring', 'automat*', 'follow-up'],
    pointsPerKeyword: 5,
    maxPoints: 15,
  };
  const need = (message: string) => fitOf(rule, leadWith({ message }));

  it('counts each keyword once, as a whole word', () => {
    expect(need('pipeline, pipeline and more PIPELINE').fit).toBe(5);
    expect(need('our pipelines').fit).toBe(0);
  });

  it('matches phrases across any whitespace and hyphenated keywords', () => {
    expect(need('we want Lead\n  Scoring').fit).toBe(5);
    expect(need('misleading scoring').fit).toBe(0);
    expect(need('every follow-up is manual').fit).toBe(5);
  });

  it('matches any ending after a trailing *', () => {
    expect(need('Automation please').fit).toBe(5);
    expect(need('we automate nothing').fit).toBe(5);
    expect(need('an autom').fit).toBe(0);
  });

  it('caps the points at maxPoints and says so', () => {
    const score = need('pipeline, lead scoring, automation and follow-up');
    expect(score.fit).toBe(15);
    expect(score.breakdown[0]?.reason).toBe('Rule: message mentions "pipeline", "lead scoring", "automat*", "follow-up" (capped at 15)');
  });

  it('caps negative keywords by magnitude', () => {
    const score = scoreLead(
      leadWith({ message: 'homework for my thesis', industry: 'Software' }),
      [],
      rulesDoc([
        { id: 'industry', label: 'Industry', kind: 'list', field: 'profile.industry', values: ['Software'], points: 30 },
        {
          id: 'junk',
          label: 'Junk',
          kind: 'keywords',
          field: 'profile.message',
          keywords: ['homework', 'thesis'],
          pointsPerKeyword: -15,
          maxPoints: 20,
        },
      ]),
      NOW,
    );
    expect(score.breakdown.map((line) => line.points)).toEqual([30, -20]);
    expect(score.fit).toBe(10);
  });
});

describe('email domain rules', () => {
  const rule = { kind: 'emailDomain', domains: ['gmail.com', 'competitor.example'], points: -15 };
  const byEmail = (email: string) => fitOf(rule, leadWith({}, { email }));

  it('matches the domain whatever its case', () => {
    expect(byEmail('pat@GMail.com').fit).toBe(0);
    expect(byEmail('pat@GMail.com').breakdown[0]).toMatchObject({
      points: -15,
      reason: 'Rule: email domain is "gmail.com"',
    });
  });

  it('matches subdomains but not look-alike suffixes', () => {
    expect(byEmail('pat@eu.competitor.example').breakdown[0]?.reason).toBe(
      'Rule: email domain "eu.competitor.example" is under "competitor.example"',
    );
    expect(byEmail('pat@notgmail.com').breakdown).toEqual([]);
    expect(byEmail('not-an-email').breakdown).toEqual([]);
  });
});

describe('fields', () => {
  it('reads custom fields as own properties only', () => {
    const score = fitOf({ kind: 'regex', field: 'customFields.constructor', pattern: '.', points: 5 });
    expect(score.breakdown).toEqual([]);
  });

  it('reads the lead source and the email', () => {
    expect(fitOf({ kind: 'list', field: 'source', values: ['partner'], points: 5 }, leadWith({}, { source: 'Partner' })).fit).toBe(5);
    expect(
      fitOf({ kind: 'regex', field: 'email', pattern: '^sales@', points: -5 }, leadWith({}, { email: 'sales@x.example' })).breakdown[0]
        ?.points,
    ).toBe(-5);
  });
});

describe('groups', () => {
  const tiers = [
    { id: 'exec', label: 'Exec', kind: 'regex', group: 'authority', field: 'profile.jobTitle', pattern: '\\bvp\\b', points: 20 },
    { id: 'manager', label: 'Manager', kind: 'regex', group: 'authority', field: 'profile.jobTitle', pattern: '\\bmanager\\b', points: 10 },
    { id: 'ungrouped', label: 'Any manager', kind: 'regex', field: 'profile.jobTitle', pattern: '\\bmanager\\b', points: 1 },
  ];

  it('fires only the first matching rule of a group, in document order', () => {
    const score = scoreLead(leadWith({ jobTitle: 'VP, formerly Manager' }), [], rulesDoc(tiers), NOW);
    expect(score.breakdown.map((line) => line.ruleId)).toEqual(['exec', 'ungrouped']);
    expect(score.fit).toBe(21);
  });

  it('falls through to the next rule of the group when the first does not match', () => {
    const score = scoreLead(leadWith({ jobTitle: 'Sales Manager' }), [], rulesDoc(tiers), NOW);
    expect(score.breakdown.map((line) => line.ruleId)).toEqual(['manager', 'ungrouped']);
  });
});

describe('clamping', () => {
  const big = (id: string, points: number) => ({ id, label: id, kind: 'list', field: 'profile.industry', values: ['Software'], points });

  it('records a cap line when fit rules add up to more than 100', () => {
    const score = scoreLead(leadWith({ industry: 'Software' }), [], rulesDoc([big('a', 70), big('b', 45.5)]), NOW);
    expect(score.fit).toBe(100);
    expect(score.breakdown.at(-1)).toEqual({
      ruleId: 'cap:fit',
      kind: 'clamp',
      category: 'fit',
      points: -15.5,
      reason: 'fit is capped at 100 (rules added 115.5)',
    });
    expect(sumPoints(score.breakdown.map((line) => line.points))).toBe(100);
  });

  it('records a floor line when fit rules add up to less than 0', () => {
    const score = scoreLead(leadWith({ industry: 'Software' }), [], rulesDoc([big('a', 10), big('b', -30.3)]), NOW);
    expect(score.fit).toBe(0);
    expect(score.breakdown.at(-1)).toEqual({
      ruleId: 'floor:fit',
      kind: 'clamp',
      category: 'fit',
      points: 20.3,
      reason: 'fit cannot go below 0 (rules added -20.3)',
    });
  });

  it('rounds every line to 0.1 before summing, so the sum is exact', () => {
    const score = scoreLead(leadWith({ industry: 'Software' }), [], rulesDoc([big('a', 0.14), big('b', 0.15), big('c', 33.333)]), NOW);
    expect(score.breakdown.map((line) => line.points)).toEqual([0.1, 0.2, 33.3]);
    expect(score.fit).toBe(33.6);
  });
});
