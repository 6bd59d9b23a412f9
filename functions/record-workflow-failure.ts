import { historyEntry } from '../core/history';
import { countMetric } from './shared/business-metrics';
import { changeLead } from './shared/lead-changes';
import { observed } from './shared/observability';
import { registerWait } from './shared/workflow';

interface FailureInput {
  leadId: string;
  executionName: string;
  executionStartedAt: string;
  /** The state that failed beyond its retries. */
  state: string;
  failure: { Error?: string; Cause?: string };
  taskToken: string;
}

/**
 * Workflow Catch target (.waitForTaskToken): a step that failed beyond its retries parks the
 * execution. The failure is recorded on the lead's history, the lead says its workflow needs
 * attention (GET /v1/leads/{leadId}) and the token waits for an operator's retry
 * (POST /v1/leads/{leadId}/workflow/retry). Only the error's name is kept: causes can hold addresses.
 */
export const handler = observed(async (input: FailureInput): Promise<void> => {
  const now = new Date();
  const error = input.failure.Error ?? 'Unknown';
  await registerWait(
    input.leadId,
    { kind: 'attention', taskToken: input.taskToken, executionName: input.executionName, executionStartedAt: input.executionStartedAt },
    now,
  );
  await changeLead(input.leadId, (lead) => ({
    lead: {
      ...lead,
      workflow: { status: 'needs_attention', state: input.state, error, since: now.toISOString() },
      updatedAt: now.toISOString(),
      version: lead.version + 1,
    },
    entries: [historyEntry(input.leadId, 'workflow_step_failed', 'workflow', now, { state: input.state, error, parked: true })],
  }));
  // The ops alarm on parked workflows reads this.
  countMetric('WorkflowsParked', 1);
});
