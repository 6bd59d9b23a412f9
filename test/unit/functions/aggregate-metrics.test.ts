import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { historyEntry } from '../../../core/history';
import { aggregateMetrics, handler } from '../../../functions/aggregate-metrics';
import { historyItem } from '../../../functions/shared/leads-repository';
import { lambdaContext } from './events';

const dynamo = mockClient(DynamoDBDocumentClient);
const watermarkKey = { pk: 'METRICS', sk: 'WATERMARK' };
const now = new Date('2026-03-10T10:15:00.000Z');
const cutoff = '2026-03-10T10:14:00.000Z';

/** History items as the platform stores them, served by the byDay partition (and shard) they are in. */
function givenEvents(items: Array<Record<string, unknown>>) {
  for (const gsi2pk of new Set(items.map((item) => item.gsi2pk))) {
    const partitionItems = items.filter((item) => item.gsi2pk === gsi2pk);
    dynamo.on(QueryCommand, { IndexName: 'byDay', ExpressionAttributeValues: { ':pk': gsi2pk } }).resolves({ Items: partitionItems });
  }
}

function capturedItem(leadId: string, at: string, source: string, ingestedAt = at) {
  return historyItem(historyEntry(leadId, 'captured', 'form:default', new Date(at), { formId: 'default', source }), new Date(ingestedAt));
}

function givenWatermark(position: string | undefined) {
  dynamo.on(GetCommand, { Key: watermarkKey }).resolves({ Item: position === undefined ? undefined : { ...watermarkKey, position } });
}

function transactions() {
  return dynamo.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
}

function byDayQueries() {
  return dynamo
    .commandCalls(QueryCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.IndexName === 'byDay');
}

beforeEach(() => {
  dynamo.on(GetCommand).resolves({});
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo.on(TransactWriteCommand).resolves({});
});

afterEach(() => {
  dynamo.reset();
});

describe('aggregate-metrics', () => {
  it('folds the events past the watermark into daily aggregates and moves the watermark in the same transaction', async () => {
    givenWatermark('2026-03-10T10:00:00.000Z');
    givenEvents([
      capturedItem('ld_AAAAAAAAAAAAAAAAAAAAAA', '2026-03-10T10:05:00.000Z', 'google'),
      capturedItem('ld_BBBBBBBBBBBBBBBBBBBBBB', '2026-03-10T10:06:00.000Z', 'google'),
    ]);

    const result = await aggregateMetrics(now);

    expect(result).toEqual({ eventsFolded: 2, watermark: cutoff });
    // Today's 8 shards, from the watermark to now minus the safety lag: nothing older is read.
    const queries = byDayQueries();
    expect(queries.map((q) => q.ExpressionAttributeValues![':pk']).sort()).toEqual(
      Array.from({ length: 8 }, (_, shard) => `DAY#2026-03-10#${shard}`),
    );
    for (const query of queries) {
      expect(query.KeyConditionExpression).toMatch(/BETWEEN :after AND :upTo/);
      expect(query.ExpressionAttributeValues).toMatchObject({ ':after': '2026-03-10T10:00:00.000Z', ':upTo': cutoff });
    }
    const [items] = transactions();
    expect(items).toHaveLength(3);
    const updates = items!.slice(0, 2).map((item) => item.Update!);
    expect(updates.map((update) => update.Key)).toEqual([
      { pk: 'METRICS#DAY#TOTAL', sk: '2026-03-10#all' },
      { pk: 'METRICS#DAY#SOURCE', sk: '2026-03-10#google' },
    ]);
    expect(updates[0]!.UpdateExpression).toMatch(/ ADD #c0 :c0$/);
    expect(updates[0]!.ExpressionAttributeNames!['#c0']).toBe('leads');
    expect(updates[0]!.ExpressionAttributeValues![':c0']).toBe(2);
    expect(items![2]!.Put).toMatchObject({
      Item: { ...watermarkKey, position: cutoff },
      ConditionExpression: '#position = :previous',
      ExpressionAttributeValues: { ':previous': '2026-03-10T10:00:00.000Z' },
    });
  });

  it('counts nothing twice when the index serves events it has folded already', async () => {
    givenWatermark('2026-03-10T10:06:00.000Z');
    givenEvents([
      capturedItem('ld_AAAAAAAAAAAAAAAAAAAAAA', '2026-03-10T10:05:00.000Z', 'google'),
      capturedItem('ld_BBBBBBBBBBBBBBBBBBBBBB', '2026-03-10T10:06:30.000Z', 'google'),
    ]);

    expect((await aggregateMetrics(now)).eventsFolded).toBe(1);
    const [items] = transactions();
    expect(items!.find((item) => item.Update?.Key?.pk === 'METRICS#DAY#TOTAL')!.Update!.ExpressionAttributeValues![':c0']).toBe(1);
  });

  it("counts a late event, written today about last week, for last week's day", async () => {
    givenWatermark('2026-03-10T10:00:00.000Z');
    givenEvents([capturedItem('ld_AAAAAAAAAAAAAAAAAAAAAA', '2026-03-03T09:00:00.000Z', 'google', '2026-03-10T10:05:00.000Z')]);

    expect((await aggregateMetrics(now)).eventsFolded).toBe(1);
    const keys = transactions()[0]!
      .filter((item) => item.Update)
      .map((item) => item.Update!.Key);
    expect(keys).toEqual([
      { pk: 'METRICS#DAY#TOTAL', sk: '2026-03-03#all' },
      { pk: 'METRICS#DAY#SOURCE', sk: '2026-03-03#google' },
    ]);
  });

  it('catches up day by day across midnight, committing each day as it ends', async () => {
    givenWatermark('2026-03-09T23:50:00.000Z');
    givenEvents([
      capturedItem('ld_AAAAAAAAAAAAAAAAAAAAAA', '2026-03-09T23:55:00.000Z', 'google'),
      capturedItem('ld_BBBBBBBBBBBBBBBBBBBBBB', '2026-03-10T00:05:00.000Z', 'google'),
    ]);

    const result = await aggregateMetrics(new Date('2026-03-10T00:20:00.000Z'));

    expect(result).toEqual({ eventsFolded: 2, watermark: '2026-03-10T00:19:00.000Z' });
    expect(byDayQueries()).toHaveLength(16);
    const watermarks = transactions().map((items) => items.at(-1)!.Put!);
    expect(watermarks.map((put) => [put.ExpressionAttributeValues![':previous'], put.Item!.position])).toEqual([
      ['2026-03-09T23:50:00.000Z', '2026-03-10T00:00:00.000Z'],
      ['2026-03-10T00:00:00.000Z', '2026-03-10T00:19:00.000Z'],
    ]);
  });

  it('starts the first run the configured number of days back, creating the watermark', async () => {
    const result = await aggregateMetrics(now);
    expect(result).toEqual({ eventsFolded: 0, watermark: cutoff });
    // 31 days back plus today, 8 shards each.
    expect(byDayQueries()).toHaveLength(32 * 8);
    expect(transactions()[0]!.at(-1)!.Put).toMatchObject({
      Item: { position: '2026-02-08T00:00:00.000Z' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('follows a shard page by page', async () => {
    givenWatermark('2026-03-10T10:00:00.000Z');
    const first = capturedItem('ld_AAAAAAAAAAAAAAAAAAAAAA', '2026-03-10T10:01:00.000Z', 'google');
    const second = { ...first, entryId: 'second', gsi2sk: '2026-03-10T10:02:00.000Z#second' };
    dynamo
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': first.gsi2pk } })
      .resolvesOnce({ Items: [first], LastEvaluatedKey: { pk: 'x', sk: 'y' } })
      .resolves({ Items: [second] });

    expect((await aggregateMetrics(now)).eventsFolded).toBe(2);
    const shardQueries = byDayQueries().filter((q) => q.ExpressionAttributeValues![':pk'] === first.gsi2pk);
    expect(shardQueries.map((q) => q.ExclusiveStartKey)).toEqual([undefined, { pk: 'x', sk: 'y' }]);
  });

  it('chains commits when one transaction cannot hold every aggregate', async () => {
    givenWatermark('2026-03-10T10:00:00.000Z');
    givenEvents(
      Array.from({ length: 120 }, (_, i) =>
        capturedItem(`ld_${String(i).padStart(22, 'A')}`, `2026-03-10T10:05:00.${String(i).padStart(3, '0')}Z`, `source-${i}`),
      ),
    );

    expect((await aggregateMetrics(now)).eventsFolded).toBe(120);
    const [first, second] = transactions();
    expect(first).toHaveLength(100);
    const firstWatermark = first!.at(-1)!.Put!.Item!.position;
    expect(second!.at(-1)!.Put!.ExpressionAttributeValues![':previous']).toBe(firstWatermark);
  });

  it('stops without counting when another run moved the watermark, and the schedule does not fail', async () => {
    givenWatermark('2026-03-10T10:00:00.000Z');
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
      }),
    );

    await expect(aggregateMetrics(now)).rejects.toMatchObject({ name: 'WatermarkMovedError', kind: 'conflict' });
    vi.useFakeTimers({ toFake: ['Date'], now });
    try {
      await expect(handler({ 'detail-type': 'Scheduled Event', source: 'aws.events' } as never, lambdaContext())).resolves.toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  describe('an on-demand job (from the aggregation state machine)', () => {
    const jobKey = { pk: 'JOB#aggregate-1', sk: 'JOB' };
    const lockKey = { pk: 'JOB#metrics-aggregation', sk: 'LOCK' };

    function updates() {
      return dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    }

    beforeEach(() => {
      dynamo.on(UpdateCommand).resolves({});
    });

    it('marks the job running, folds, records the figures on the job and frees the lock', async () => {
      givenWatermark(new Date(Date.now() - 120_000).toISOString());

      const result = await handler({ jobId: 'aggregate-1' }, lambdaContext());

      expect(result).toEqual({ eventsFolded: 0, watermark: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
      const [running, finished, release] = updates();
      expect(running).toMatchObject({ Key: jobKey, ConditionExpression: '#status IN (:queued, :running)' });
      expect(running!.UpdateExpression).toContain('startedAt = if_not_exists(startedAt, :now)');
      expect(finished).toMatchObject({
        Key: jobKey,
        ExpressionAttributeValues: { ':status': 'succeeded', ':events': 0, ':watermark': result!.watermark },
      });
      expect(release).toMatchObject({
        Key: lockKey,
        UpdateExpression: 'REMOVE leaseUntil',
        ExpressionAttributeValues: { ':jobId': 'aggregate-1' },
      });
    });

    it('waits for a scheduled run folding the same window and resumes after it', async () => {
      givenWatermark(new Date(Date.now() - 600_000).toISOString());
      givenEvents([capturedItem('ld_AAAAAAAAAAAAAAAAAAAAAA', new Date(Date.now() - 300_000).toISOString(), 'google')]);
      dynamo
        .on(TransactWriteCommand)
        .rejectsOnce(
          new TransactionCanceledException({
            message: 'cancelled',
            $metadata: {},
            CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
          }),
        )
        .resolves({});
      const plentyOfTime = { ...lambdaContext(), getRemainingTimeInMillis: () => 240_000 };

      const result = await handler({ jobId: 'aggregate-1' }, plentyOfTime);

      expect(result).toMatchObject({ eventsFolded: 1 });
      expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(2);
      expect(updates()[1]).toMatchObject({ ExpressionAttributeValues: { ':status': 'succeeded', ':events': 1 } });
    });

    it('throws when a scheduled run holds the window and no time is left to wait, so the state machine retries it, and ends nothing', async () => {
      givenWatermark(new Date(Date.now() - 600_000).toISOString());
      givenEvents([capturedItem('ld_AAAAAAAAAAAAAAAAAAAAAA', new Date(Date.now() - 300_000).toISOString(), 'google')]);
      dynamo.on(TransactWriteCommand).rejects(
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
        }),
      );

      await expect(handler({ jobId: 'aggregate-1' }, lambdaContext())).rejects.toMatchObject({ name: 'WatermarkMovedError' });
      expect(updates()).toHaveLength(1);
    });

    it('records a failure the state machine caught as a failed job with its error name, and frees the lock', async () => {
      await handler({ jobId: 'aggregate-1', failure: { Error: 'Sandbox.Timedout', Cause: '{}' } }, lambdaContext());

      const [failed, release] = updates();
      expect(failed).toMatchObject({ Key: jobKey, ExpressionAttributeValues: { ':status': 'failed', ':error': 'Sandbox.Timedout' } });
      expect(failed!.UpdateExpression).toContain('finishedAt = :at');
      expect(release).toMatchObject({ Key: lockKey, ConditionExpression: 'jobId = :jobId' });
      expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
    });
  });
});
