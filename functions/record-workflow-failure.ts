import { historyEntry } from '../core/history';
import { appendHistory } from './shared/leads-repository';
import { observed } from './shared/observability';

interface FailureInput {
  leadId: string;
  state: string;
  failure: { Error?: string; Cause?: string };
}

/**
 * Workflow Catch target: a step that failed after its retries is recorded on the lead's history
 * (the error's name only; causes can hold addresses) and the workflow carries on.
 */
export const handler = observed(async (input: FailureInput): Promise<void> => {
  await appendHistory(
    historyEntry(input.leadId, 'workflow_step_failed', 'workflow', new Date(), {
      state: input.state,
      error: input.failure.Error ?? 'Unknown',
    }),
  );
});
