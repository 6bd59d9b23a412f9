import { planStep, type LifecycleStep } from '../core/lifecycle';
import { routingDecision } from '../core/scoring';
import { moveLead, routingMove } from '../core/transitions';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { NotFoundError } from '../core/errors';
import { changeLead, getLead } from './shared/leads-repository';
import { getActiveRules } from './shared/rules-repository';
import { nextOwnerIndex } from './shared/workflow';
import { observed } from './shared/observability';

/**
 * Workflow step: routes a new lead by the score decision from core (qualified with a round-robin
 * owner, nurturing, or disqualified) and returns the lifecycle's next step. Safe to retry: a lead
 * already routed is left alone.
 */
export const handler = observed(async (input: { leadId: string }): Promise<LifecycleStep> => {
  const lifecycleConfig = await loadLifecycleConfig();
  const rules = await getActiveRules();
  const current = await getLead(input.leadId, true);
  if (!current) throw new NotFoundError('there is no such lead');
  // Take an owner only for a lead about to be qualified (the counter is shared by all executions).
  const owner =
    current.stage === 'new' && current.score && routingDecision(current.score, rules) === 'qualified'
      ? lifecycleConfig.owners[(await nextOwnerIndex()) % lifecycleConfig.owners.length]
      : undefined;
  const { lead } = await changeLead(input.leadId, (current) => {
    if (current.stage !== 'new') return undefined;
    const decision = current.score ? routingDecision(current.score, rules) : 'nurturing';
    const reason = current.score
      ? `score ${current.score.total} (grade ${current.score.grade}) under rules ${current.score.rulesVersion}`
      : 'not scored';
    const transition = moveLead(
      current,
      routingMove(decision, reason),
      'workflow',
      new Date(),
      decision === 'qualified' ? owner : undefined,
    );
    return { lead: transition.lead, entries: [transition.entry] };
  });
  return planStep(lead.stage, 0, lifecycleConfig);
});
