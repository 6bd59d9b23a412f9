import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeExecutionCommand, SFNClient, SendTaskSuccessCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { keys } from '../../core/keys';
import { executionArnOf, lifecycleExecutionName, type LifecycleStep } from '../../core/lifecycle';
import type { Lead } from '../../core/lead';
import type { Stage } from '../../core/stages';
import { documents, tableEnv } from './table';

const sfn = new SFNClient({});

/** Remembers the task token of the step waiting on a lead, so a rep's move can resume it. */
export async function registerWait(leadId: string, taskToken: string, stage: Stage, now: Date): Promise<void> {
  await documents.send(
    new PutCommand({
      TableName: tableEnv.TABLE_NAME,
      Item: { ...keys.workflow(leadId), taskToken, stage, registeredAt: now.toISOString() },
    }),
  );
}

/** The lead's workflow wait; `kind` absent is a wait for a stage move (an `attention` wait is parked for an operator). */
export async function getWait(leadId: string): Promise<{ taskToken: string; stage: Stage; kind?: 'stage' | 'attention' } | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.workflow(leadId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return {
    taskToken: String(Item.taskToken),
    stage: Item.stage as Stage,
    ...(Item.kind === 'attention' && { kind: 'attention' as const }),
  };
}

/**
 * Resumes a waiting step with the next step. A token that was already used or timed out is
 * fine: the workflow re-reads the lead's stage wherever it is, so no move is lost or doubled.
 */
export async function resumeWorkflow(taskToken: string, step: LifecycleStep): Promise<boolean> {
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(step) }));
    return true;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist') return false;
    throw error;
  }
}

/**
 * Stops the lead's running lifecycle execution (its timers and task tokens never fire after), under
 * either name it may have (core/lifecycle.ts). Returns how many were running.
 */
export async function stopLifecycle(stateMachineArn: string, lead: Pick<Lead, 'leadId' | 'createdAt'>, cause: string): Promise<number> {
  let stopped = 0;
  for (const name of [lifecycleExecutionName(lead.leadId), lifecycleExecutionName(lead.leadId, lead.createdAt)]) {
    const executionArn = executionArnOf(stateMachineArn, name);
    try {
      const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (status !== 'RUNNING') continue;
      // No personal data in the cause: execution details are kept by Step Functions for 90 days.
      await sfn.send(new StopExecutionCommand({ executionArn, error: 'LeadErased', cause }));
      stopped++;
    } catch (error) {
      if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
    }
  }
  return stopped;
}
