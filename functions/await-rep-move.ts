import { NotFoundError } from '../core/errors';
import { planStep, type LifecycleStep } from '../core/lifecycle';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { getLead } from './shared/leads-repository';
import { registerWait, resumeWorkflow } from './shared/workflow';
import { observed } from './shared/observability';

/**
 * Workflow step (.waitForTaskToken): parks the execution until a rep moves the lead. The token is
 * stored first and the stage checked after, so a move that raced ahead of this step still
 * resumes it (follow-lead-changes reads the token from the stream, after the move is stored).
 */
export const handler = observed(async (input: { leadId: string; taskToken: string; step: LifecycleStep }): Promise<void> => {
  const lifecycleConfig = await loadLifecycleConfig();
  await registerWait(input.leadId, input.taskToken, input.step.stage, new Date());
  const lead = await getLead(input.leadId, true);
  if (!lead) throw new NotFoundError('there is no such lead');
  if (lead.stage !== input.step.stage) {
    await resumeWorkflow(input.taskToken, planStep(lead.stage, 0, lifecycleConfig));
  }
});
