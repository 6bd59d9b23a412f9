import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { HistoryEntry } from '../../core/history';
import { historyItem } from './leads-repository';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { keys } from '../../core/keys';
import { executionArnOf, lifecycleExecutionName, type LifecycleStep } from '../../core/lifecycle';
import type { Lead } from '../../core/lead';
import type { Stage } from '../../core/stages';
import { documents, tableEnv } from './table';

const sfn = new SFNClient({});

/**
 * What a lead's workflow waits for: a rep's move (`stage`), or an operator after a step failed
 * beyond its retries (`attention`). Also names the lead's current execution, which changes when
 * an execution hands over to a successor.
 */
export interface WorkflowWait {
  kind: 'stage' | 'attention';
  /** Absent while a successor execution has started and not yet reached its first wait. */
  taskToken?: string;
  stage?: Stage;
  executionName: string;
  executionStartedAt?: string;
}

/** Remembers the task token of the step waiting on a lead, so a move (or an operator) can resume it. */
export async function registerWait(leadId: string, wait: WorkflowWait & { taskToken: string }, now: Date): Promise<void> {
  await documents.send(
    new PutCommand({ TableName: tableEnv.TABLE_NAME, Item: { ...keys.workflow(leadId), ...wait, registeredAt: now.toISOString() } }),
  );
}

export async function getWait(leadId: string): Promise<WorkflowWait | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.workflow(leadId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return {
    // Waits stored before kinds existed were all rep waits.
    kind: Item.kind === 'attention' ? 'attention' : 'stage',
    taskToken: typeof Item.taskToken === 'string' ? Item.taskToken : undefined,
    stage: Item.stage as Stage | undefined,
    executionName: typeof Item.executionName === 'string' ? Item.executionName : lifecycleExecutionName(leadId),
    executionStartedAt: typeof Item.executionStartedAt === 'string' ? Item.executionStartedAt : undefined,
  };
}

/**
 * Points the lead's workflow record at a successor execution, with `entry` on the lead's history
 * in the same transaction, unless the record has moved on from the predecessor already (a retried
 * step, or the successor registered a wait of its own). Returns whether it was this call.
 */
export async function recordSuccessor(
  leadId: string,
  predecessor: string,
  successor: string,
  now: Date,
  entry?: HistoryEntry,
): Promise<boolean> {
  const record = {
    TableName: tableEnv.TABLE_NAME,
    Item: { ...keys.workflow(leadId), kind: 'stage', executionName: successor, registeredAt: now.toISOString() },
    ConditionExpression: 'attribute_not_exists(pk) OR executionName = :predecessor',
    ExpressionAttributeValues: { ':predecessor': predecessor },
  };
  try {
    if (!entry) await documents.send(new PutCommand(record));
    else {
      await documents.send(
        new TransactWriteCommand({
          TransactItems: [{ Put: record }, { Put: { TableName: tableEnv.TABLE_NAME, Item: historyItem(entry) } }],
        }),
      );
    }
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
    throw error;
  }
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

/** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED... or undefined when there is no such execution. */
export async function executionStatus(stateMachineArn: string, name: string): Promise<string | undefined> {
  try {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, name) }));
    return status;
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

/**
 * Starts a lifecycle execution that picks the lead up at `step` (without one, it routes the lead
 * first). False when it was started already (a retried step), so the lead never gets two.
 */
export async function startLifecycleAt(
  stateMachineArn: string,
  name: string,
  leadId: string,
  step: LifecycleStep | undefined,
): Promise<boolean> {
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(step ? { leadId, step } : { leadId }) }));
    return true;
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    return false;
  }
}

/**
 * Stops the lead's running lifecycle execution (its timers and task tokens never fire after), under
 * any name it may have (core/lifecycle.ts; a successor's name is on the workflow record). Returns how many were running.
 */
export async function stopLifecycle(stateMachineArn: string, lead: Pick<Lead, 'leadId' | 'createdAt'>, cause: string): Promise<number> {
  const current = (await getWait(lead.leadId))?.executionName;
  const names = new Set([
    lifecycleExecutionName(lead.leadId),
    lifecycleExecutionName(lead.leadId, lead.createdAt),
    ...(current ? [current] : []),
  ]);
  let stopped = 0;
  for (const name of names) {
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
