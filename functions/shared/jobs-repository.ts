import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../core/keys';
import { documents, tableEnv } from './table';

export interface RescoreJob {
  jobId: string;
  status: 'running' | 'succeeded' | 'failed';
  rulesVersion: string;
  processed: number;
  rescored: number;
  startedAt: string;
  finishedAt?: string;
  /** The stage partition being worked through (progress for the reader). */
  currentStage?: string;
}

export async function createJob(job: RescoreJob): Promise<void> {
  await documents.send(
    new PutCommand({
      TableName: tableEnv.TABLE_NAME,
      Item: { ...keys.job(job.jobId), ...job },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function getJob(jobId: string): Promise<RescoreJob | undefined> {
  const { Item } = await documents.send(new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.job(jobId), ConsistentRead: true }));
  if (!Item) return undefined;
  const { pk: _pk, sk: _sk, ...job } = Item;
  return job as RescoreJob;
}

/** Adds a page's counts; `finished` closes the job. */
export async function recordProgress(
  jobId: string,
  progress: { processed: number; rescored: number; currentStage?: string; finished?: 'succeeded' | 'failed'; at: Date },
): Promise<void> {
  const sets = ['currentStage = :stage'];
  const values: Record<string, unknown> = {
    ':processed': progress.processed,
    ':rescored': progress.rescored,
    ':stage': progress.currentStage ?? null,
  };
  if (progress.finished) {
    sets.push('#status = :status', 'finishedAt = :at');
    values[':status'] = progress.finished;
    values[':at'] = progress.at.toISOString();
  }
  await documents.send(
    new UpdateCommand({
      TableName: tableEnv.TABLE_NAME,
      Key: keys.job(jobId),
      // `processed` and `status` are DynamoDB reserved words: they must go through names.
      UpdateExpression: `ADD #processed :processed, rescored :rescored SET ${sets.join(', ')}`,
      ExpressionAttributeNames: progress.finished ? { '#processed': 'processed', '#status': 'status' } : { '#processed': 'processed' },
      ExpressionAttributeValues: values,
    }),
  );
}
