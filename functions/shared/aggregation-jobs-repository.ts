import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../core/keys';
import { AGGREGATION_LEASE_SECONDS, aggregationJobSchema, type AggregationJob } from '../../core/metrics/aggregation-job';
import { documents, tableEnv } from './table';

/**
 * Aggregation jobs, stored like rescore jobs (`JOB#<jobId>`), and the lock that lets one of them
 * at a time hold the on-demand aggregator: `JOB#metrics-aggregation` names the job and carries a
 * lease (`leaseUntil`, epoch seconds) that the job's end removes.
 */

export async function getAggregationJob(jobId: string): Promise<AggregationJob | undefined> {
  const { Item } = await documents.send(new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.job(jobId), ConsistentRead: true }));
  if (!Item) return undefined;
  const { pk: _pk, sk: _sk, ...job } = Item;
  const parsed = aggregationJobSchema.safeParse(job);
  // A rescore job's id is not an aggregation job.
  return parsed.success ? parsed.data : undefined;
}

/** The job named by the lock while its lease runs, if any. */
export async function lockedAggregationJobId(now: Date): Promise<string | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.aggregationLock(), ConsistentRead: true }),
  );
  const leaseUntil = Item?.leaseUntil as number | undefined;
  return leaseUntil !== undefined && leaseUntil >= epochSeconds(now) ? (Item?.jobId as string) : undefined;
}

/**
 * Stores a queued job and takes the lock for it, in one transaction. The lock is free when it has
 * no lease, when its lease has lapsed, or when it still names `staleJobId` (a job whose end was
 * recorded but whose release was not). Returns false, writing nothing, when another job holds it
 * or another request was taking it at the same moment.
 */
export async function queueAggregationJob(job: AggregationJob, now: Date, staleJobId?: string): Promise<boolean> {
  const free = ['attribute_not_exists(leaseUntil)', 'leaseUntil < :now', ...(staleJobId ? ['jobId = :stale'] : [])];
  try {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableEnv.TABLE_NAME,
              Item: { ...keys.aggregationLock(), jobId: job.jobId, leaseUntil: epochSeconds(now) + AGGREGATION_LEASE_SECONDS },
              ConditionExpression: free.join(' OR '),
              ExpressionAttributeValues: { ':now': epochSeconds(now), ...(staleJobId && { ':stale': staleJobId }) },
            },
          },
          {
            Put: {
              TableName: tableEnv.TABLE_NAME,
              Item: { ...keys.job(job.jobId), ...job },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    // Held, or being taken by a request at the same moment (a transaction conflict): either way, look again.
    const reason = error instanceof TransactionCanceledException ? error.CancellationReasons?.[0]?.Code : undefined;
    if (reason === 'ConditionalCheckFailed' || reason === 'TransactionConflict') return false;
    throw error;
  }
}

/** The aggregator has started on the job (again, after a retry: the first start is kept). */
export async function markAggregationRunning(jobId: string, now: Date): Promise<void> {
  await documents.send(
    new UpdateCommand({
      TableName: tableEnv.TABLE_NAME,
      Key: keys.job(jobId),
      UpdateExpression: 'SET #status = :running, startedAt = if_not_exists(startedAt, :now)',
      // Only a job that was queued for it: never resurrect a finished one.
      ConditionExpression: '#status IN (:queued, :running)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':running': 'running', ':queued': 'queued', ':now': now.toISOString() },
    }),
  );
}

export type AggregationOutcome = { status: 'succeeded'; eventsFolded: number; watermark: string } | { status: 'failed'; error: string };

/** Records the job's end, then frees the lock if it still names the job. */
export async function finishAggregationJob(jobId: string, outcome: AggregationOutcome, now: Date): Promise<void> {
  const values: Record<string, unknown> = { ':status': outcome.status, ':at': now.toISOString() };
  const sets = ['#status = :status', 'finishedAt = :at'];
  if (outcome.status === 'succeeded') {
    sets.push('eventsFolded = :events', 'watermark = :watermark');
    values[':events'] = outcome.eventsFolded;
    values[':watermark'] = outcome.watermark;
  } else {
    sets.push('#error = :error');
    values[':error'] = outcome.error;
  }
  await documents.send(
    new UpdateCommand({
      TableName: tableEnv.TABLE_NAME,
      Key: keys.job(jobId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#status': 'status', ...(outcome.status === 'failed' && { '#error': 'error' }) },
      ExpressionAttributeValues: values,
    }),
  );
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableEnv.TABLE_NAME,
        Key: keys.aggregationLock(),
        UpdateExpression: 'REMOVE leaseUntil',
        ConditionExpression: 'jobId = :jobId',
        ExpressionAttributeValues: { ':jobId': jobId },
      }),
    );
  } catch (error) {
    // Another job took the lock over (this one's lease had lapsed): it is not ours to free.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

function epochSeconds(now: Date): number {
  return Math.floor(now.getTime() / 1000);
}
