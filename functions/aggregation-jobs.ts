import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { ConflictError, NotFoundError } from '../core/errors';
import {
  AGGREGATION_JOB_PREFIX,
  holdsAggregator,
  isAggregationJobId,
  queuedAggregationJob,
  type AggregationJob,
} from '../core/metrics/aggregation-job';
import { finishAggregationJob, getAggregationJob, lockedAggregationJobId, queueAggregationJob } from './shared/aggregation-jobs-repository';
import { backOffAfterConflict } from './shared/conflicts';
import { httpHandler, type HttpResponse } from './shared/http';
import { logger } from './shared/observability';

const env = z.object({ AGGREGATION_STATE_MACHINE_ARN: z.string().min(1) }).parse(process.env);
const sfn = new SFNClient({});

/** Rounds of "the lock was being taken, or is held by a job that has just ended": each one looks again. */
const MAX_QUEUE_ATTEMPTS = 5;

/**
 * POST /v1/metrics/aggregate (admin) queues an aggregation and answers 202 at once: a state
 * machine runs the aggregator (up to 5 minutes, far past the gateway's 30 s) and records its end
 * on the job, failure included. While a job is queued or running, a POST answers that job.
 * GET /v1/metrics/aggregate/{jobId} (metrics:read) reads it.
 */
export const handler = httpHandler(async (request) => {
  if (request.method === 'GET') {
    const jobId = request.pathParameters.jobId ?? '';
    const job = isAggregationJobId(jobId) ? await getAggregationJob(jobId) : undefined;
    if (!job) throw new NotFoundError('there is no such aggregation job');
    return { status: 200, json: job };
  }
  let stale: string | undefined;
  for (let attempt = 0; attempt < MAX_QUEUE_ATTEMPTS; attempt++) {
    const now = new Date();
    const job = queuedAggregationJob(`${AGGREGATION_JOB_PREFIX}${randomUUID()}`, now);
    if (await queueAggregationJob(job, now, stale)) return accepted(await start(job));
    const holderId = await lockedAggregationJobId(now);
    const holder = holderId ? await getAggregationJob(holderId) : undefined;
    if (holdsAggregator(holder)) return accepted(holder);
    // The holder has ended (or its lease lapsed, or another request was taking the lock): take it over.
    stale = holderId;
    await backOffAfterConflict(attempt);
  }
  throw new ConflictError('aggregation_in_progress', 'another aggregation job is being queued; retry in a moment');
});

/** Starts the job's execution; a start that fails ends the job as failed, so it never waits forever. */
async function start(job: AggregationJob): Promise<AggregationJob> {
  try {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: env.AGGREGATION_STATE_MACHINE_ARN,
        name: job.jobId,
        input: JSON.stringify({ jobId: job.jobId }),
      }),
    );
    return job;
  } catch (error) {
    const name = (error as Error).name;
    logger.error('the aggregation job could not start', { jobId: job.jobId, error: name });
    await finishAggregationJob(job.jobId, { status: 'failed', error: name }, new Date());
    throw error;
  }
}

function accepted(job: AggregationJob): HttpResponse {
  return { status: 202, json: job, headers: { location: `/v1/metrics/aggregate/${job.jobId}` } };
}
