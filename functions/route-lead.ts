import { planStep, type LifecycleStep } from '../core/lifecycle';
import { routingDecision } from '../core/scoring';
import { moveLead, routingMove } from '../core/transitions';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { changeLead } from './shared/lead-changes';
import { getActiveRules } from './shared/rules-repository';
import { observed } from './shared/observability';

/**
 * Workflow step: routes a new lead by the score decision from core (qualified with a round-robin
 * owner taken in the same write, nurturing, or disqualified) and returns the lifecycle's next step. Safe to retry: a lead
 * already routed is left alone.
 */
export const handler = observed(async (input: { leadId: string }): Promise<LifecycleStep> => {
  const lifecycleConfig = await loadLifecycleConfig();
  const rules = await getActiveRules();
  // A lead routed to qualified gets its owner in the same write (functions/shared/lead-changes.ts).
  const { lead } = await changeLead(input.leadId, (current) => {
    if (current.stage !== 'new') return undefined;
    const decision = current.score ? routingDecision(current.score, rules) : 'nurturing';
    const reason = current.score
      ? `score ${current.score.total} (grade ${current.score.grade}) under rules ${current.score.rulesVersion}`
      : 'not scored';
    const transition = moveLead(current, routingMove(decision, reason), 'workflow', new Date());
    return { lead: transition.lead, entries: [transition.entry] };
  });
  return planStep(lead.stage, 0, lifecycleConfig);
});
