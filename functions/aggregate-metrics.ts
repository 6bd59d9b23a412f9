import type { Context, EventBridgeEvent } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { EVENT_SHARDS } from '../core/keys';
import { addDays, dayOfTime, eachDay, startOfDay } from '../core/metrics/days';
import { planCommits } from '../core/metrics/fold';
import { metricKeys } from '../core/metrics/keys';
import { mergeShards } from '../core/metrics/merge';
import { finishAggregationJob, markAggregationRunning } from './shared/aggregation-jobs-repository';
import { correlate, logger, observed } from './shared/observability';
import { WatermarkMovedError, commitFold, eventPages, readWatermark } from './shared/metrics-repository';

/** How far back the very first run reads: set it to cover the table's history when metrics come to an existing table. */
const config = z
  .object({
    METRICS_BACKFILL_DAYS: z.coerce.number().int().min(0).max(3660).default(31),
    /**
     * Only events written at least this long ago are folded. The byDay index is eventually
     * consistent and a writer stamps `ingestedAt` just before its write lands: an event younger
     * than this could still appear behind a watermark that had already passed it. (DynamoDB Local
     * updates indexes synchronously, so the local cloud sets 0.)
     */
    METRICS_CONSISTENCY_LAG_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  })
  .parse(process.env);

export const SAFETY_LAG_MS = config.METRICS_CONSISTENCY_LAG_SECONDS * 1000;

/** A transaction holds 100 writes: the watermark and up to 99 aggregate deltas. */
const MAX_AGGREGATES_PER_COMMIT = 99;

export interface AggregationResult {
  /** Events read past the watermark and folded (types that count nothing included). */
  eventsFolded: number;
  /** The byDay position everything up to which is folded. */
  watermark: string;
}

/**
 * Folds every event written since the watermark (up to now minus the safety lag) into the daily
 * aggregates. It reads the byDay partitions of the ingest days from the watermark's day to today,
 * past the watermark only, so its cost grows with the new events and not with history. Each commit
 * writes its deltas together with the advanced watermark, conditioned on the old one: a crash
 * leaves whole commits, a rerun resumes where the last one ended, and a concurrent run fails its
 * condition instead of counting anything twice.
 */
export async function aggregateMetrics(now = new Date()): Promise<AggregationResult> {
  const cutoff = new Date(now.getTime() - SAFETY_LAG_MS).toISOString();
  let stored = await readWatermark();
  let watermark = stored ?? startOfDay(addDays(dayOfTime(now), -config.METRICS_BACKFILL_DAYS));
  let eventsFolded = 0;
  for (const day of eachDay(watermark.slice(0, 10), cutoff.slice(0, 10))) {
    const nextDay = startOfDay(addDays(day, 1));
    const dayEnd = cutoff < nextDay ? cutoff : nextDay;
    if (dayEnd <= watermark) continue;
    const shards = Array.from({ length: EVENT_SHARDS }, (_, shard) => eventPages(metricKeys.eventDayShard(day, shard), watermark, dayEnd));
    for await (const batch of mergeShards(shards)) {
      const window = { watermark, upTo: batch.readThrough ?? dayEnd, maxItems: MAX_AGGREGATES_PER_COMMIT };
      for (const commit of planCommits(batch.events, window)) {
        await commitFold(commit, stored, now);
        stored = watermark = commit.watermark;
        eventsFolded += commit.events;
      }
    }
  }
  return { eventsFolded, watermark };
}

type ScheduledEvent = EventBridgeEvent<'Scheduled Event', unknown>;

/** What the aggregation state machine sends: a job to run, or (from its Catch) a job that failed. */
interface JobInput {
  jobId: string;
  failure?: { Error?: string; Cause?: string };
}

/** Time kept in hand when waiting for another run: past it, the error goes to the state machine, which retries. */
const WAIT_RESERVE_MS = 15_000;

/**
 * A job that meets a run folding the same window (a scheduled one) waits for it and resumes after
 * it, with jittered backoff, while the invocation has time; then the state machine's Retry takes over.
 */
async function aggregateAfterOtherRuns(context: Context): Promise<AggregationResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await aggregateMetrics();
    } catch (error) {
      if (!(error instanceof WatermarkMovedError) || context.getRemainingTimeInMillis() < WAIT_RESERVE_MS) throw error;
      await sleep(Math.random() * Math.min(5_000, 200 * 2 ** attempt));
    }
  }
}

/** Runs an on-demand job: the job item says when it started and how it ended. */
async function runJob(input: JobInput, context: Context): Promise<AggregationResult | undefined> {
  correlate({ executionName: input.jobId });
  if (input.failure) {
    const error = input.failure.Error ?? 'Unknown';
    logger.error('aggregation job failed', { jobId: input.jobId, error });
    await finishAggregationJob(input.jobId, { status: 'failed', error }, new Date());
    return undefined;
  }
  await markAggregationRunning(input.jobId, new Date());
  const result = await aggregateAfterOtherRuns(context);
  await finishAggregationJob(input.jobId, { status: 'succeeded', ...result }, new Date());
  logger.info('metrics aggregated', { jobId: input.jobId, ...result });
  return result;
}

/** Invoked by the EventBridge schedule, or by the aggregation state machine for an on-demand job. */
export const handler = observed(async (event: ScheduledEvent | JobInput, context: Context): Promise<AggregationResult | undefined> => {
  if ('jobId' in event) return runJob(event, context);
  try {
    const result = await aggregateMetrics();
    // Quiet when there was nothing new: a schedule that finds no events is not news.
    if (result.eventsFolded > 0) logger.info('metrics aggregated', { ...result });
    return result;
  } catch (error) {
    // An overlapping run (a slow one, or an on-demand one) owns the window: the next tick resumes.
    if (!(error instanceof WatermarkMovedError)) throw error;
    logger.info('another aggregation run is in progress');
    return undefined;
  }
});
