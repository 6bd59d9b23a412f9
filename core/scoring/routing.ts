import * as z from 'zod';
import type { ScoringRules } from './rules-schema';
import type { Score } from './score';

export const routingDecisions = ['qualified', 'nurturing', 'disqualified'] as const;
export const routingDecisionSchema = z.enum(routingDecisions);
export type RoutingDecision = z.infer<typeof routingDecisionSchema>;

/**
 * Where the lifecycle sends a scored lead. The thresholds live in the rules document only; the
 * state machine branches on this decision and never compares scores itself.
 *
 * - disqualified: a rule marked `disqualifies` fired (a competitor, a student), whatever the score;
 * - qualified: total, fit and engagement reach `routing.qualify`;
 * - nurturing: everything else.
 * Fired rules are looked up by id in `rules`, so pass the rules the score was made with.
 */
export function routingDecision(score: Score, rules: ScoringRules): RoutingDecision {
  const disqualifying = new Set(rules.rules.filter((rule) => rule.kind !== 'event' && rule.disqualifies === true).map((rule) => rule.id));
  if (score.breakdown.some((line) => disqualifying.has(line.ruleId))) return 'disqualified';
  const { minTotal, minFit, minEngagement } = rules.routing.qualify;
  if (score.total >= minTotal && score.fit >= minFit && score.engagement >= minEngagement) {
    return 'qualified';
  }
  return 'nurturing';
}
