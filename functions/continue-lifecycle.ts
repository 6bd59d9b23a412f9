import { historyEntry } from '../core/history';
import { successorExecutionName, successorStep, type LifecycleStep } from '../core/lifecycle';
import { countMetric } from './shared/business-metrics';
import { observed } from './shared/observability';
import { recordSuccessor, startLifecycleAt } from './shared/workflow';

interface ContinueInput {
  leadId: string;
  /** `$$.StateMachine.Id`: the machine cannot name itself in its functions' environment (a circular reference). */
  stateMachineArn: string;
  executionName: string;
  step: LifecycleStep;
}

/**
 * Workflow step (continue-as-new): an execution nearing Standard's one-year limit starts its
 * successor with the step it was about to take, records the hand-over and ends. The successor's
 * name follows from this one's, so a retried step starts nothing twice.
 */
export const handler = observed(async (input: ContinueInput): Promise<{ successor: string }> => {
  const now = new Date();
  const successor = successorExecutionName(input.executionName);
  // The hand-over is recorded first (the workflow record names the successor, and the history says
  // so, in one transaction), then the successor started: a retried step records nothing twice and
  // starts nothing twice (the name is taken).
  const entry = historyEntry(input.leadId, 'workflow_continued', 'workflow', now, { from: input.executionName, to: successor });
  await recordSuccessor(input.leadId, input.executionName, successor, now, entry);
  await startLifecycleAt(input.stateMachineArn, successor, input.leadId, successorStep(input.step));
  countMetric('WorkflowsContinued', 1);
  return { successor };
});
