import * as z from 'zod';
import { ConflictError, NotFoundError } from '../core/errors';
import { historyEntry } from '../core/history';
import { leadIdSchema, type Lead } from '../core/lead';
import { lifecycleExecutionName, planStep, successorExecutionName } from '../core/lifecycle';
import { countMetric } from './shared/business-metrics';
import { actorOf, httpHandler } from './shared/http';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { changeLead } from './shared/lead-changes';
import { getLead } from './shared/leads-repository';
import { executionStatus, getWait, recordSuccessor, resumeWorkflow, startLifecycleAt } from './shared/workflow';

const env = z.object({ STATE_MACHINE_ARN: z.string().min(1) }).parse(process.env);

/**
 * POST /v1/leads/{leadId}/workflow/retry (leads:write): an operator's way back for a lead whose
 * workflow needs attention. A parked execution resumes from the lead's current stage; one that
 * has ended for any reason (failed, timed out, stopped, finished) gets a successor that picks the
 * lead up at its current stage, its history untouched. A running workflow that waits for nothing
 * but its rep is left alone (409).
 */
export const handler = httpHandler(async (request) => {
  const leadId = leadIdSchema.safeParse(request.pathParameters.leadId);
  const lead = leadId.success ? await getLead(leadId.data, true) : undefined;
  if (!lead) throw new NotFoundError('there is no such lead');
  const config = await loadLifecycleConfig();
  const actor = actorOf(request);
  const now = new Date();
  const wait = await getWait(lead.leadId);
  const current = wait?.executionName ?? (await originalExecutionName(lead));
  const status = await executionStatus(env.STATE_MACHINE_ARN, current);

  if (status === 'RUNNING') {
    if (wait?.kind !== 'attention' || !wait.taskToken) {
      throw new ConflictError('workflow_running', "the lead's workflow is running and does not need attention");
    }
    const parked = lead.workflow;
    await markRetried(lead.leadId, actor, now, { action: 'resumed', execution: current });
    const step = planStep(lead.stage, 0, config, {
      executionStartedAt: wait.executionStartedAt ?? now.toISOString(),
      now,
      stageChangedAt: lead.stageChangedAt,
    });
    let resumed: boolean;
    try {
      resumed = await resumeWorkflow(wait.taskToken, step);
    } catch (error) {
      // Step Functions did not take it: the lead keeps saying it needs attention.
      if (parked) await restoreAttention(lead.leadId, parked);
      throw error;
    }
    if (!resumed) throw new ConflictError('workflow_running', "the lead's workflow was resumed already");
    countMetric('WorkflowsRetried', 1);
    return { status: 202, json: { leadId: lead.leadId, action: 'resumed', executionName: current } };
  }

  // Ended, or never started: a successor takes the lead from where it stands. A lead still in
  // `new` was never routed, so its successor starts by routing it.
  const successor = successorExecutionName(current);
  const input = lead.stage === 'new' ? undefined : planStep(lead.stage, 0, config);
  await startLifecycleAt(env.STATE_MACHINE_ARN, successor, lead.leadId, input);
  await recordSuccessor(lead.leadId, current, successor, now);
  await markRetried(lead.leadId, actor, now, {
    action: 'restarted',
    execution: successor,
    previous: current,
    previousStatus: status ?? 'none',
  });
  countMetric('WorkflowsRetried', 1);
  return { status: 202, json: { leadId: lead.leadId, action: 'restarted', executionName: successor } };
});

/** The name the lead's first execution was started under (an erased and re-captured lead's adds its creation time). */
async function originalExecutionName(lead: Lead): Promise<string> {
  const recreated = lifecycleExecutionName(lead.leadId, lead.createdAt);
  return (await executionStatus(env.STATE_MACHINE_ARN, recreated)) ? recreated : lifecycleExecutionName(lead.leadId);
}

async function markRetried(leadId: string, actor: string, now: Date, data: Record<string, unknown>): Promise<void> {
  await changeLead(leadId, (lead) => ({
    lead: { ...lead, workflow: undefined, updatedAt: now.toISOString(), version: lead.version + 1 },
    entries: [historyEntry(leadId, 'workflow_retried', actor, now, data)],
  }));
}

async function restoreAttention(leadId: string, parked: NonNullable<Lead['workflow']>): Promise<void> {
  await changeLead(leadId, (lead) => ({ lead: { ...lead, workflow: parked, version: lead.version + 1 }, entries: [] }));
}
