import { handOverIfTooOld, planStep, successorStep, type LifecycleStep } from '../core/lifecycle';
import { routingDecision } from '../core/scoring';
import { moveLead, routingMove } from '../core/transitions';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { changeLead } from './shared/lead-changes';
import { getActiveRules } from './shared/rules-repository';
import { observed } from './shared/observability';

interface RouteInput {
  leadId: string;
  executionStartedAt: string;
  /** The execution's input: a successor's (continue-as-new, an operator's restart) carries the step to take. */
  input: { leadId: string; step?: LifecycleStep };
}

/**
 * Workflow step, the first of every execution: routes a new lead by the score decision from core
 * (qualified with a round-robin owner taken in the same write, nurturing, or disqualified) and
 * returns the lifecycle's next step. A lead routed already is planned from its stage (or from the
 * step a successor was handed), so a retried step or a successor execution routes nothing twice.
 */
export const handler = observed(async (input: RouteInput): Promise<LifecycleStep> => {
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
  const clock = { executionStartedAt: input.executionStartedAt, now: new Date(), stageChangedAt: lead.stageChangedAt };
  // A successor carries on with the step it was handed, unless the lead has moved since.
  const handedOver = input.input.step;
  if (handedOver?.stage === lead.stage) return handOverIfTooOld(successorStep(handedOver), lifecycleConfig, clock);
  return planStep(lead.stage, 0, lifecycleConfig, clock);
});
