import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors';
import { defaultScoringRules, engagementEventSchema, parseScoringRules, scoringRulesSchema } from '../../core/scoring';
import defaultRulesDocument from '../../core/scoring/default-rules.json';

const validDocument = () =>
  structuredClone(defaultRulesDocument) as unknown as Record<string, unknown> & { rules: Array<Record<string, unknown>> };

function validationErrorOf(doc: unknown): ValidationError {
  try {
    parseScoringRules(doc);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected the document to be rejected');
}

describe('the default rules document', () => {
  it('is valid and versioned', () => {
    expect(scoringRulesSchema.safeParse(defaultRulesDocument).success).toBe(true);
    expect(defaultScoringRules.version).toBe(defaultRulesDocument.version);
  });

  it('implements BANT, ICP fit, negative rules and engagement', () => {
    const kinds = new Set(defaultScoringRules.rules.map((rule) => rule.kind));
    expect(kinds).toEqual(new Set(['enum', 'regex', 'keywords', 'list', 'emailDomain', 'event']));
    const ids = defaultScoringRules.rules.map((rule) => rule.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'budget',
        'authority-executive',
        'need',
        'timeline',
        'icp-industry-core',
        'icp-company-size',
        'icp-country',
        'free-mail',
        'competitor',
        'student',
        'email-opens',
        'email-clicks',
      ]),
    );
  });

  it('is frozen, so the engine can cache its compiled form', () => {
    expect(Object.isFrozen(defaultScoringRules)).toBe(true);
    expect(Object.isFrozen(defaultScoringRules.rules[0])).toBe(true);
    expect(() => {
      (defaultScoringRules.weights as { fit: number }).fit = 1;
    }).toThrow(TypeError);
  });

  it('survives a JSON round trip unchanged', () => {
    expect(parseScoringRules(JSON.parse(JSON.stringify(defaultScoringRules)))).toEqual(defaultScoringRules);
  });
});

describe('a bad rules document', () => {
  it('names the bad rule by path and id', () => {
    const doc = validDocument();
    doc.rules[15] = { ...doc.rules[15], pointsPerEvent: 'lots' };
    const error = validationErrorOf(doc);
    expect(error.name).toBe('ValidationError');
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([
      {
        path: 'rules.15.pointsPerEvent',
        ruleId: 'email-opens',
        message: 'rule "email-opens": Invalid input: expected number, received string',
      },
    ]);
  });

  it.each([
    ['an unknown kind', { kind: 'vibes' }, 'rules.0.kind', /kind must be one of compare, range, enum/],
    ['a misspelt property', { point: 3 }, 'rules.0', /Unrecognized key: "point"/],
    ['points out of range', { pointsByValue: { Now: 150 } }, 'rules.0.pointsByValue.Now', /100/],
    ['an unknown field', { field: 'profile.shoeSize' }, 'rules.0.field', /profile.<field>/],
  ])('rejects %s', (_, change, path, message) => {
    const doc = validDocument();
    doc.rules[0] = { ...doc.rules[0], ...change };
    const [detail] = validationErrorOf(doc).details;
    expect(detail).toMatchObject({ path, ruleId: 'budget' });
    expect(detail?.message).toMatch(message);
    expect(detail?.message).toMatch(/^rule "budget": /);
  });

  it('rejects a regex that does not compile', () => {
    const doc = validDocument();
    doc.rules[1] = { ...doc.rules[1], pattern: '(vp|director' };
    expect(validationErrorOf(doc).details).toEqual([
      {
        path: 'rules.1.pattern',
        ruleId: 'authority-executive',
        message: 'rule "authority-executive": is not a valid regular expression (flags i and u are always on)',
      },
    ]);
  });

  it('rejects duplicate rule ids, pointing at the second one', () => {
    const doc = validDocument();
    doc.rules[2] = { ...doc.rules[2], id: 'budget' };
    expect(validationErrorOf(doc).details).toEqual([
      { path: 'rules.2.id', ruleId: 'budget', message: 'rule "budget": duplicates the id of rules.0' },
    ]);
  });

  it('names a rule without a usable id by its index', () => {
    const doc = validDocument();
    doc.rules[4] = { ...doc.rules[4], id: 'Not An Id' };
    expect(validationErrorOf(doc).details).toEqual([
      { path: 'rules.4.id', ruleId: 'Not An Id', message: 'rule "Not An Id": must be 1-64 lowercase letters, digits or dashes' },
    ]);
    doc.rules[4] = 'not a rule' as never;
    expect(validationErrorOf(doc).details[0]).toMatchObject({ path: 'rules.4', message: expect.stringMatching(/^rule 4: /) });
  });

  it('rejects weights that do not add up to 1 and grade bands out of order', () => {
    const doc = { ...validDocument(), weights: { fit: 0.7, engagement: 0.4 }, grades: { A: 50, B: 50, C: 25 } };
    expect(validationErrorOf(doc).details).toEqual([
      { path: 'weights.engagement', message: 'fit and engagement weights must add up to 1' },
      { path: 'grades', message: 'grade bands must be strictly descending: A > B > C' },
    ]);
  });

  it('rejects event rules with zero points, no decay or no cap', () => {
    const doc = validDocument();
    doc.rules[16] = { ...doc.rules[16], pointsPerEvent: 0, halfLifeDays: 0, maxPoints: undefined };
    expect(validationErrorOf(doc).details.map((detail) => detail.path)).toEqual([
      'rules.16.pointsPerEvent',
      'rules.16.halfLifeDays',
      'rules.16.maxPoints',
    ]);
  });

  it('rejects something that is not a document at all', () => {
    expect(validationErrorOf(null).details).toEqual([{ path: '(document)', message: expect.any(String) }]);
    expect(validationErrorOf({}).details.map((detail) => detail.path)).toEqual(['version', 'weights', 'grades', 'routing', 'rules']);
  });
});

describe('engagement events', () => {
  it('accepts the event types scoring weighs, with an ISO time and scalar properties', () => {
    const event = {
      type: 'page_visit',
      at: '2026-11-26T12:00:00.000Z',
      properties: { path: '/pricing', seconds: 42, returning: true, ref: null },
    };
    expect(engagementEventSchema.parse(event)).toEqual(event);
    expect(engagementEventSchema.parse({ type: 'meeting', at: '2026-11-26T13:00:00+01:00' })).toEqual({
      type: 'meeting',
      at: '2026-11-26T13:00:00+01:00',
    });
  });

  it.each([
    ['an unknown type', { type: 'tweet', at: '2026-11-26T12:00:00Z' }, 'type'],
    ['a time that is not ISO-8601', { type: 'reply', at: 'yesterday' }, 'at'],
    ['a nested property', { type: 'reply', at: '2026-11-26T12:00:00Z', properties: { deep: { a: 1 } } }, 'properties.deep'],
    [
      'too many properties',
      { type: 'reply', at: '2026-11-26T12:00:00Z', properties: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, i])) },
      'properties',
    ],
  ])('rejects %s', (_, event, path) => {
    const result = engagementEventSchema.safeParse(event);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});
