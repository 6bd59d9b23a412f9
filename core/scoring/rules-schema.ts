import * as z from 'zod';
import { ValidationError, type ErrorDetail } from '../errors';
import { engagementEventTypeSchema } from './events';
import { fieldRefRule, isFieldRef } from './fields';

const MAX_RULES = 500;

const ruleIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be 1-64 lowercase letters, digits or dashes');

/** Points one rule may add or take away; the sums are clamped to 0-100 later anyway. */
const pointsSchema = z.number().min(-100).max(100);
const capSchema = z.number().positive().max(100);

/** Flags `i` and `u` are always on: titles are matched case-insensitively, as Unicode. */
export const REGEX_FLAGS = 'iu';
const patternSchema = z.string().min(1).max(500).refine(isValidPattern, 'is not a valid regular expression (flags i and u are always on)');

function isValidPattern(pattern: string): boolean {
  try {
    new RegExp(pattern, REGEX_FLAGS);
    return true;
  } catch {
    return false;
  }
}

const fieldSchema = z.string().refine(isFieldRef, fieldRefRule);
const matchTextSchema = z.string().trim().min(1).max(200);

/** What every fit rule has besides its condition and points. */
const fitRuleBase = {
  id: ruleIdSchema,
  label: z.string().trim().min(1).max(120),
  /** Rules sharing a group are alternatives: only the first that matches, in document order, fires. */
  group: ruleIdSchema.optional(),
  /** When this rule fires the lead is routed to `disqualified`, whatever its score. */
  disqualifies: z.boolean().optional(),
};

export const compareRuleSchema = z.strictObject({
  kind: z.literal('compare'),
  ...fitRuleBase,
  field: fieldSchema,
  op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']),
  value: z.number(),
  points: pointsSchema,
});

/** Numeric band, `gte <= value < lt`; either bound may be left open. */
export const rangeRuleSchema = z
  .strictObject({
    kind: z.literal('range'),
    ...fitRuleBase,
    field: fieldSchema,
    gte: z.number().optional(),
    lt: z.number().optional(),
    points: pointsSchema,
  })
  .refine((rule) => rule.gte !== undefined || rule.lt !== undefined, {
    error: 'needs gte, lt or both',
    path: ['gte'],
  })
  .refine((rule) => rule.gte === undefined || rule.lt === undefined || rule.gte < rule.lt, {
    error: 'must be greater than gte',
    path: ['lt'],
  });

/** One of a fixed set of answers (a select on the form), each worth its own points. */
export const enumRuleSchema = z.strictObject({
  kind: z.literal('enum'),
  ...fitRuleBase,
  field: fieldSchema,
  pointsByValue: z.record(matchTextSchema, pointsSchema).refine((map) => Object.keys(map).length > 0, 'needs at least one value'),
});

export const listRuleSchema = z.strictObject({
  kind: z.literal('list'),
  ...fitRuleBase,
  field: fieldSchema,
  values: z.array(matchTextSchema).min(1).max(1000),
  points: pointsSchema,
});

export const regexRuleSchema = z.strictObject({
  kind: z.literal('regex'),
  ...fitRuleBase,
  field: fieldSchema,
  pattern: patternSchema,
  points: pointsSchema,
});

/**
 * Whole words or phrases in free text; a trailing `*` matches any word ending ("automat*").
 * Each distinct keyword counts once; `maxPoints` caps the magnitude of the rule's points.
 */
export const keywordsRuleSchema = z.strictObject({
  kind: z.literal('keywords'),
  ...fitRuleBase,
  field: fieldSchema,
  keywords: z
    .array(
      z
        .string()
        .trim()
        .max(100)
        .regex(/[\p{L}\p{N}]/u, 'must contain a letter or digit'),
    )
    .min(1)
    .max(200),
  pointsPerKeyword: pointsSchema,
  maxPoints: capSchema,
});

/** The email's domain or any subdomain of it is listed (free mail, competitors). */
export const emailDomainRuleSchema = z.strictObject({
  kind: z.literal('emailDomain'),
  ...fitRuleBase,
  domains: z
    .array(z.string().regex(/^[^\s@]+$/, 'must be a domain without "@" or spaces'))
    .min(1)
    .max(5000),
  points: pointsSchema,
});

/**
 * Engagement: each matching event is worth `pointsPerEvent` decayed by its age with the given
 * half-life; the rule's sum is capped at `maxPoints` (in magnitude).
 */
export const eventRuleSchema = z.strictObject({
  kind: z.literal('event'),
  id: ruleIdSchema,
  label: z.string().trim().min(1).max(120),
  eventType: engagementEventTypeSchema,
  /** Only events whose property matches the pattern count, e.g. page visits to /pricing. */
  where: z.strictObject({ property: z.string().min(1).max(64), matches: patternSchema }).optional(),
  pointsPerEvent: pointsSchema.refine((points) => points !== 0, 'must not be 0'),
  halfLifeDays: z.number().positive().max(3650),
  maxPoints: capSchema,
});

export const ruleKinds = ['compare', 'range', 'enum', 'list', 'regex', 'keywords', 'emailDomain', 'event'] as const;

export const ruleSchema = z.discriminatedUnion(
  'kind',
  [
    compareRuleSchema,
    rangeRuleSchema,
    enumRuleSchema,
    listRuleSchema,
    regexRuleSchema,
    keywordsRuleSchema,
    emailDomainRuleSchema,
    eventRuleSchema,
  ],
  { error: `kind must be one of ${ruleKinds.join(', ')}` },
);

const bandSchema = z.number().min(0).max(100);
const thresholdSchema = z.number().min(0).max(100);

export const scoringRulesSchema = z
  .strictObject({
    /** Stamped on every score, so a score can always be traced to the rules that made it. */
    version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, dots, dashes or underscores'),
    description: z.string().max(2000).optional(),
    /** total = fit * weights.fit + engagement * weights.engagement; they add up to 1. */
    weights: z
      .strictObject({ fit: z.number().min(0).max(1), engagement: z.number().min(0).max(1) })
      .refine((weights) => Math.abs(weights.fit + weights.engagement - 1) < 1e-9, {
        error: 'fit and engagement weights must add up to 1',
        path: ['engagement'],
      }),
    /** Lowest total for each grade; below C is D. */
    grades: z.strictObject({ A: bandSchema, B: bandSchema, C: bandSchema }).refine((grades) => grades.A > grades.B && grades.B > grades.C, {
      error: 'grade bands must be strictly descending: A > B > C',
    }),
    /** The lifecycle branches on `routingDecision`; its thresholds live here and only here. */
    routing: z.strictObject({
      qualify: z.strictObject({
        minTotal: thresholdSchema,
        minFit: thresholdSchema.default(0),
        minEngagement: thresholdSchema.default(0),
      }),
    }),
    rules: z.array(ruleSchema).max(MAX_RULES),
  })
  .superRefine((doc, ctx) => {
    const firstIndexOf = new Map<string, number>();
    doc.rules.forEach((rule, index) => {
      const first = firstIndexOf.get(rule.id);
      if (first === undefined) firstIndexOf.set(rule.id, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'id'],
          message: `duplicates the id of rules.${first}`,
        });
    });
  });

export type ScoringRules = z.infer<typeof scoringRulesSchema>;
export type ScoringRulesInput = z.input<typeof scoringRulesSchema>;
export type Rule = z.infer<typeof ruleSchema>;
export type RuleKind = Rule['kind'];
export type EventRule = z.infer<typeof eventRuleSchema>;
export type FitRule = Exclude<Rule, EventRule>;

/** A validation detail that also names the rule it is about, when it is about one. */
export interface RuleErrorDetail extends ErrorDetail {
  ruleId?: string;
}

/**
 * Validates a rules document. A bad document throws a ValidationError whose details carry the
 * path (e.g. `rules.3.points`) and, for a rule, its id, so an author can find the rule to fix.
 */
export function parseScoringRules(doc: unknown): ScoringRules {
  const result = scoringRulesSchema.safeParse(doc);
  // Frozen: the engine compiles a document once and caches it by identity, so it must not change.
  if (result.success) return deepFreeze(result.data);
  throw new ValidationError(
    'the scoring rules document is invalid',
    result.error.issues.map((issue) => detailFor(issue, doc)),
    { cause: result.error },
  );
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function detailFor(issue: { path: ReadonlyArray<PropertyKey>; message: string }, doc: unknown): RuleErrorDetail {
  const path = issue.path.map(String).join('.') || '(document)';
  const [section, index] = issue.path;
  if (section !== 'rules' || typeof index !== 'number') return { path, message: issue.message };
  const ruleId = rawRuleId(doc, index);
  return ruleId === undefined
    ? { path, message: `rule ${index}: ${issue.message}` }
    : { path, ruleId, message: `rule ${JSON.stringify(ruleId)}: ${issue.message}` };
}

function rawRuleId(doc: unknown, index: number): string | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const rules = (doc as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) return undefined;
  const rule: unknown = rules[index];
  if (typeof rule !== 'object' || rule === null) return undefined;
  const id = (rule as { id?: unknown }).id;
  return typeof id === 'string' && id.length <= 64 ? id : undefined;
}
