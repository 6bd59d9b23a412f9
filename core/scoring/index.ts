export { scoreLead, gradeFor } from './engine';
export { routingDecision, routingDecisionSchema, routingDecisions, type RoutingDecision } from './routing';
export {
  scoringRulesSchema,
  ruleSchema,
  ruleKinds,
  parseScoringRules,
  type ScoringRules,
  type ScoringRulesInput,
  type Rule,
  type RuleKind,
  type FitRule,
  type EventRule,
  type RuleErrorDetail,
} from './rules-schema';
export { defaultScoringRules } from './default-rules';
export {
  engagementEventSchema,
  engagementEventTypeSchema,
  engagementEventTypes,
  futureEventProblem,
  type EngagementEvent,
  type EngagementEventType,
} from './events';
export { scoreSchema, scoreLineSchema, gradeSchema, grades, type Score, type ScoreLine, type Grade, type ScoreCategory } from './score';
export { decayFactor, decayedPoints, ageInDays } from './decay';
export { sumPoints } from './points';
export type { ScorableLead } from './fields';
