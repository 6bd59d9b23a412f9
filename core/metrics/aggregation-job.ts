import * as z from 'zod';

/**
 * An on-demand aggregation, run as a job off the request path: `POST /v1/metrics/aggregate` queues
 * it and answers at once, a state machine runs the aggregator, and the job item tells how it went.
 * Only one job holds the aggregator at a time: a request while one is queued or running is answered
 * with that job (the aggregator folds everything written before it starts, so a second run right
 * behind it would fold next to nothing, and a client that polls one job id needs no special case).
 */

export const AGGREGATION_JOB_PREFIX = 'aggregate-';

/**
 * How long a job may hold the aggregator. Longer than the worst run (a 5-minute invocation and its
 * retries), so the lock only lapses when the job's end was never recorded (its execution gone).
 */
export const AGGREGATION_LEASE_SECONDS = 3600;

const timestamp = z.iso.datetime().meta({ description: 'ISO-8601, UTC.' });

export const aggregationJobSchema = z.object({
  jobId: z.string().startsWith(AGGREGATION_JOB_PREFIX),
  status: z
    .enum(['queued', 'running', 'succeeded', 'failed'])
    .meta({ description: '`queued` until the aggregator starts, `running`, then `succeeded` or `failed`.' }),
  requestedAt: timestamp,
  startedAt: timestamp.optional(),
  finishedAt: timestamp.optional(),
  eventsFolded: z.number().int().min(0).optional().meta({ description: 'Events folded by the run (once it has succeeded).' }),
  watermark: z.string().optional().meta({ description: 'The event position up to which everything is folded (once it has succeeded).' }),
  error: z.string().optional().meta({ description: "A failed job's error name (`Sandbox.Timedout`, `TransactionCanceledException`...)." }),
});
export type AggregationJob = z.infer<typeof aggregationJobSchema>;

export function queuedAggregationJob(jobId: string, now: Date): AggregationJob {
  return { jobId, status: 'queued', requestedAt: now.toISOString() };
}

export function isAggregationJobId(jobId: string): boolean {
  return jobId.startsWith(AGGREGATION_JOB_PREFIX) && jobId.length <= 64;
}

/** A queued or running job holds the aggregator; a finished one (or none) does not. */
export function holdsAggregator(job: AggregationJob | undefined): job is AggregationJob {
  return job?.status === 'queued' || job?.status === 'running';
}
