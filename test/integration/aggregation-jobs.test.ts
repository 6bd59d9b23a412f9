import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { dayOfTime } from '../../core/metrics/days';
import { metricKeys } from '../../core/metrics/keys';
import {
  admin,
  aggregateNow,
  aggregationJobEnd,
  captureTouches,
  documents,
  json,
  keyed,
  postJson,
  uniqueEmail,
  type AggregationJobView,
} from './helpers';

/**
 * On-demand aggregation as a job: POST /v1/metrics/aggregate answers 202 before the aggregator
 * runs, a state machine runs it, and GET /v1/metrics/aggregate/{jobId} follows the job to its end,
 * a failure included.
 */

const run = randomBytes(4).toString('hex');

/** Leads captured with their own source, once their capture is in their history (the event the aggregator folds). */
async function leadsFrom(source: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await postJson('default', { email: uniqueEmail(`aggregation-${source}`), utm_source: source }, keyed());
    expect(response.status).toBe(202);
    await captureTouches((await json(response)).leadId as string, 1);
  }
}

async function leadsCountedFor(source: string): Promise<number | undefined> {
  const today = dayOfTime(new Date());
  const response = await admin('GET', `/v1/metrics?from=${today}&to=${today}&groupBy=source`);
  expect(response.status).toBe(200);
  const row = (await json(response)).leadsBySource.find((candidate: { source: string }) => candidate.source === source);
  return row?.leads as number | undefined;
}

async function post(): Promise<{ status: number; job: AggregationJobView; location: string | null; ms: number }> {
  const sent = performance.now();
  const response = await admin('POST', '/v1/metrics/aggregate');
  const ms = performance.now() - sent;
  return { status: response.status, job: (await json(response)) as AggregationJobView, location: response.headers.get('location'), ms };
}

describe('POST /v1/metrics/aggregate', () => {
  it('answers 202 with a queued job at once, and the job runs to succeeded with the events in the metrics', async () => {
    const source = `jobs-${run}`;
    await leadsFrom(source, 3);
    // Warm the route's function: what is measured below is the answer, not a cold start.
    await aggregationJobEnd((await post()).location!);
    // Past the local aggregator's 2 s consistency lag.
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const started = await post();

    expect(started.status).toBe(202);
    // Queued in the answer: the answer was given before the aggregator started.
    expect(started.job).toEqual({ jobId: expect.stringMatching(/^aggregate-/), status: 'queued', requestedAt: expect.any(String) });
    expect(started.location).toBe(`/v1/metrics/aggregate/${started.job.jobId}`);
    console.log(`POST /v1/metrics/aggregate answered 202 in ${started.ms.toFixed(0)} ms`);
    expect(started.ms).toBeLessThan(1_000);

    const job = await aggregationJobEnd(started.location!);
    expect(job).toEqual({
      jobId: started.job.jobId,
      status: 'succeeded',
      requestedAt: started.job.requestedAt,
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      eventsFolded: expect.any(Number),
      watermark: expect.any(String),
    });
    expect(job.requestedAt <= job.startedAt! && job.startedAt! <= job.finishedAt!).toBe(true);
    expect(await leadsCountedFor(source)).toBe(3);
  });

  it('answers the job already queued or running instead of starting a second one', async () => {
    const [first, second] = await Promise.all([post(), post()]);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.job.jobId).toBe(first.job.jobId);
    expect(second.location).toBe(first.location);
    expect((await aggregationJobEnd(first.location!)).status).toBe('succeeded');
    // Once it has ended, the next POST is a new job.
    const next = await post();
    expect(next.job.jobId).not.toBe(first.job.jobId);
    await aggregationJobEnd(next.location!);
  });

  it('ends a job whose run fails as failed, with the error name, and the next job folds the events once', async () => {
    const source = `jobs-fail-${run}`;
    const table = inject('tableName');
    // A daily aggregate whose counter is not a number: the commit that adds to it fails, as a corrupt item would on AWS.
    const poisoned = metricKeys.dailyAggregate({ day: dayOfTime(new Date()), dimension: 'source', value: source });
    await documents().send(new PutCommand({ TableName: table, Item: { ...poisoned, leads: 'not a number' } }));
    try {
      await leadsFrom(source, 2);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      // A job already running may have started before these events: the first that starts after them fails.
      let failed: AggregationJobView | undefined;
      for (let attempt = 0; attempt < 3 && !failed; attempt++) {
        const job = await aggregateNow();
        if (job.status === 'failed') failed = job;
      }
      expect(failed).toMatchObject({ status: 'failed', startedAt: expect.any(String), finishedAt: expect.any(String) });
      expect(failed!.error).toMatch(/^(TransactionCanceledException|ValidationException)$/);
      expect(failed).not.toHaveProperty('eventsFolded');
    } finally {
      await documents().send(new DeleteCommand({ TableName: table, Key: poisoned }));
    }
    // The lock was freed by the failure: the next job runs, and counts the events once.
    let counted: number | undefined;
    for (let attempt = 0; attempt < 5 && counted === undefined; attempt++) {
      expect((await aggregateNow()).status).toBe('succeeded');
      counted = await leadsCountedFor(source);
    }
    expect(counted).toBe(2);
  });
});

describe('GET /v1/metrics/aggregate/{jobId}', () => {
  it('answers 404 for a job that does not exist, and for a rescore job id', async () => {
    for (const jobId of [`aggregate-${run}`, 'rescore-none']) {
      const response = await admin('GET', `/v1/metrics/aggregate/${jobId}`);
      expect(response.status).toBe(404);
      expect((await json(response)).error.code).toBe('not_found');
    }
  });
});
