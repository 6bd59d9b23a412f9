import { ValidationError } from '../errors';
import { compileEventRules, type EngagementScorer } from './engagement-rules';
import type { EngagementEvent } from './events';
import type { ScorableLead } from './fields';
import { compileFitRule, type FitMatcher } from './fit-rules';
import { formatPoints, fromTenths, toTenths } from './points';
import type { EventRule, FitRule, ScoringRules } from './rules-schema';
import type { Grade, Score, ScoreCategory, ScoreLine } from './score';

const MAX_TENTHS = 1000;

interface CompiledRules {
  fitRules: Array<{ rule: FitRule; matches: FitMatcher }>;
  scoreEngagement: EngagementScorer;
}

/**
 * Compiled once per rules document, by identity. `parseScoringRules` returns a frozen document,
 * so a cached compilation cannot go stale.
 */
const compiledRules = new WeakMap<ScoringRules, CompiledRules>();

function compile(rules: ScoringRules): CompiledRules {
  let compiled = compiledRules.get(rules);
  if (!compiled) {
    const fitRules = rules.rules.filter((rule): rule is FitRule => rule.kind !== 'event');
    const eventRules = rules.rules.filter((rule): rule is EventRule => rule.kind === 'event');
    compiled = {
      fitRules: fitRules.map((rule) => ({ rule, matches: compileFitRule(rule) })),
      scoreEngagement: compileEventRules(eventRules),
    };
    compiledRules.set(rules, compiled);
  }
  return compiled;
}

/**
 * Scores a lead. Pure: the same lead, events, rules (version) and `now` give the same score.
 *
 * - fit: the fit rules that fired, in document order, summed and clamped to 0-100;
 * - engagement: each event rule's decayed, capped sum, summed and clamped to 0-100;
 * - total: fit * weights.fit + engagement * weights.engagement, rounded to 0.1;
 * - grade: the highest band in `rules.grades` the total reaches, else D.
 * Every line's points are multiples of 0.1 and the lines of each category add up exactly to
 * its value: a clamp is a line of its own (`cap:fit`, `floor:engagement`, ...).
 */
export function scoreLead(lead: ScorableLead, events: readonly EngagementEvent[], rules: ScoringRules, now: Date): Score {
  if (Number.isNaN(now.getTime())) {
    throw new ValidationError('cannot score at an invalid time', [{ path: 'now', message: 'is not a valid date' }]);
  }
  const { fitRules, scoreEngagement } = compile(rules);

  const fitLines: ScoreLine[] = [];
  const firedGroups = new Set<string>();
  for (const { rule, matches } of fitRules) {
    if (rule.group !== undefined && firedGroups.has(rule.group)) continue;
    const match = matches(lead);
    if (!match) continue;
    if (rule.group !== undefined) firedGroups.add(rule.group);
    fitLines.push({
      ruleId: rule.id,
      kind: rule.kind,
      category: 'fit',
      points: fromTenths(toTenths(match.points)),
      reason: `${rule.label}: ${match.evidence}`,
    });
  }
  const fitTenths = closeCategory(fitLines, 'fit');

  const engagementLines: ScoreLine[] = scoreEngagement(events, now).map((line) => ({
    ruleId: line.rule.id,
    kind: 'event',
    category: 'engagement',
    points: fromTenths(line.tenths),
    reason: line.reason,
  }));
  const engagementTenths = closeCategory(engagementLines, 'engagement');

  const totalTenths = clamp(roundHalfUp(fitTenths * rules.weights.fit + engagementTenths * rules.weights.engagement), 0, MAX_TENTHS);
  const total = fromTenths(totalTenths);
  return {
    rulesVersion: rules.version,
    fit: fromTenths(fitTenths),
    engagement: fromTenths(engagementTenths),
    total,
    grade: gradeFor(total, rules.grades),
    weights: { fit: rules.weights.fit, engagement: rules.weights.engagement },
    breakdown: [...fitLines, ...engagementLines],
    scoredAt: now.toISOString(),
  };
}

/**
 * Sums a category's lines and, when the sum leaves 0-100, appends the line that brings it back,
 * so the lines still add up to the category's value. Returns that value in tenths.
 */
function closeCategory(lines: ScoreLine[], category: ScoreCategory): number {
  const sum = lines.reduce((tenths, line) => tenths + toTenths(line.points), 0);
  const clamped = clamp(sum, 0, MAX_TENTHS);
  if (clamped !== sum) {
    const capped = sum > MAX_TENTHS;
    lines.push({
      ruleId: `${capped ? 'cap' : 'floor'}:${category}`,
      kind: 'clamp',
      category,
      points: fromTenths(clamped - sum),
      reason: capped
        ? `${category} is capped at 100 (rules added ${formatPoints(fromTenths(sum))})`
        : `${category} cannot go below 0 (rules added ${formatPoints(fromTenths(sum))})`,
    });
  }
  return clamped;
}

/** The highest band the total reaches: A, B or C by `rules.grades`, D below them. */
export function gradeFor(total: number, grades: ScoringRules['grades']): Grade {
  if (total >= grades.A) return 'A';
  if (total >= grades.B) return 'B';
  if (total >= grades.C) return 'C';
  return 'D';
}

/** Rounds as a person would: 0.7 * 5 is 3.5 and rounds to 4, not to 3 (it is 3.4999… in binary). */
function roundHalfUp(value: number): number {
  return Math.round(Math.round(value * 1e6) / 1e6);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
