import { NotFoundError } from '../core/errors';
import { handOverIfTooOld, planStep, type LifecycleStep } from '../core/lifecycle';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { getLead } from './shared/leads-repository';
import { registerWait, resumeWorkflow } from './shared/workflow';
import { observed } from './shared/observability';

interface AwaitInput {
  leadId: string;
  taskToken: string;
  executionName: string;
  executionStartedAt: string;
  step: LifecycleStep;
}

/**
 * Workflow step (.waitForTaskToken): parks the execution until a rep moves the lead. The token is
 * stored first and the stage checked after, so a move that raced ahead of this step still
 * resumes it (follow-lead-changes reads the token from the stream, after the move is stored). A wait
 * that would outlive the execution resumes at once with `continue`: a successor execution waits instead.
 */
export const handler = observed(async (input: AwaitInput): Promise<void> => {
  const config = await loadLifecycleConfig();
  const { leadId, taskToken, executionName, executionStartedAt, step } = input;
  await registerWait(leadId, { kind: 'stage', taskToken, stage: step.stage, executionName, executionStartedAt }, new Date());
  const lead = await getLead(leadId, true);
  if (!lead) throw new NotFoundError('there is no such lead');
  const clock = { executionStartedAt, now: new Date(), stageChangedAt: lead.stageChangedAt };
  if (lead.stage !== step.stage) {
    await resumeWorkflow(taskToken, planStep(lead.stage, 0, config, clock));
    return;
  }
  const checked = handOverIfTooOld(step, config, clock);
  if (checked.next === 'continue') await resumeWorkflow(taskToken, checked);
});
