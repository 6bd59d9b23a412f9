import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors';
import { tableKeys } from '../../core/keys';
import { isCounterName, type Aggregate } from '../../core/metrics/aggregate';
import { metricEventSchema, type MetricEvent } from '../../core/metrics/events';
import type { AggregateDelta, FoldCommit } from '../../core/metrics/fold';
import { dimensions, metricKeys, aggregatePartition, type Dimension } from '../../core/metrics/keys';
import type { NextPage } from '../../core/metrics/merge';
import type { StoredAggregate } from '../../core/metrics/report';
import { documents, queryAll, tableEnv } from './table';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Another aggregator run moved the watermark first: this run's window is (being) folded by it. */
export class WatermarkMovedError extends ConflictError {
  constructor(options?: ErrorOptions) {
    super('aggregation_in_progress', 'another aggregation run is folding the same events; retry in a minute', [], options);
    this.name = 'WatermarkMovedError';
  }
}

/** The position folded through, or undefined before the first run. */
export async function readWatermark(): Promise<string | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: metricKeys.watermark(), ConsistentRead: true }),
  );
  return typeof Item?.position === 'string' ? Item.position : undefined;
}

/**
 * Pages through one shard of one ingest day on the byDay index, from `after` to `upTo` (both
 * positions, i.e. byDay sort keys), oldest first. Entries that are not valid history are left out
 * (they count nothing, and the watermark still moves past them).
 */
export function eventPages(gsi2pk: string, after: string, upTo: string): NextPage {
  let startKey: Record<string, unknown> | undefined;
  return async () => {
    const page = await documents.send(
      new QueryCommand({
        TableName: tableEnv.TABLE_NAME,
        IndexName: tableKeys.byDay.indexName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :after AND :upTo',
        ExpressionAttributeNames: { '#pk': tableKeys.byDay.partitionKey, '#sk': tableKeys.byDay.sortKey },
        ExpressionAttributeValues: { ':pk': gsi2pk, ':after': after, ':upTo': upTo },
        ExclusiveStartKey: startKey,
      }),
    );
    startKey = page.LastEvaluatedKey;
    const events: MetricEvent[] = [];
    for (const item of page.Items ?? []) {
      const event = metricEventSchema.safeParse({ ...item, position: item[tableKeys.byDay.sortKey] as unknown });
      if (event.success) events.push(event.data);
    }
    return { events, done: !startKey };
  };
}

/**
 * Writes a commit's deltas and moves the watermark in one transaction, on the condition that the
 * watermark is still where this run read it: a delta is added exactly once or not at all.
 */
export async function commitFold(commit: FoldCommit, previous: string | undefined, now: Date): Promise<void> {
  const updatedAt = now.toISOString();
  const items: TransactItem[] = commit.deltas.map((delta) => aggregateUpdate(delta, updatedAt));
  items.push({
    Put: {
      TableName: tableEnv.TABLE_NAME,
      Item: { ...metricKeys.watermark(), position: commit.watermark, updatedAt },
      ConditionExpression: previous === undefined ? 'attribute_not_exists(pk)' : '#position = :previous',
      ExpressionAttributeNames: previous === undefined ? undefined : { '#position': 'position' },
      ExpressionAttributeValues: previous === undefined ? undefined : { ':previous': previous },
    },
  });
  try {
    await documents.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((reason) => reason.Code) : [];
    if (reasons.includes('ConditionalCheckFailed') || reasons.includes('TransactionConflict'))
      throw new WatermarkMovedError({ cause: error });
    throw error;
  }
}

/** Adds a delta to a daily aggregate item, creating it on first use (ADD starts counters at 0). */
function aggregateUpdate({ key, delta }: AggregateDelta, updatedAt: string): TransactItem {
  const names: Record<string, string> = { '#day': 'day', '#dimension': 'dimension', '#value': 'value', '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':day': key.day, ':dimension': key.dimension, ':value': key.value, ':updatedAt': updatedAt };
  const sets = ['#day = :day', '#dimension = :dimension', '#value = :value', '#updatedAt = :updatedAt'];
  const adds: string[] = [];
  Object.entries(delta.counters).forEach(([name, value], index) => {
    names[`#c${index}`] = name;
    values[`:c${index}`] = value;
    adds.push(`#c${index} :c${index}`);
  });
  if (delta.cycleSeconds.length) {
    names['#cycles'] = 'cycleSeconds';
    values[':cycles'] = delta.cycleSeconds;
    values[':noCycles'] = [];
    sets.push('#cycles = list_append(if_not_exists(#cycles, :noCycles), :cycles)');
  }
  return {
    Update: {
      TableName: tableEnv.TABLE_NAME,
      Key: metricKeys.dailyAggregate(key),
      UpdateExpression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/**
 * Every daily aggregate of days `from`..`to`: one sort-key range per dimension, read in parallel
 * and paged, so the reads grow with the days and values in the range, never with the events.
 */
export async function readAggregates(from: string, to: string): Promise<StoredAggregate[]> {
  const perDimension = await Promise.all(dimensions.map((dimension) => readDimension(dimension, from, to)));
  return perDimension.flat();
}

async function readDimension(dimension: Dimension, from: string, to: string): Promise<StoredAggregate[]> {
  const { low, high } = metricKeys.dailyAggregateRange(from, to);
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
    ExpressionAttributeValues: { ':pk': aggregatePartition(dimension), ':low': low, ':high': high },
  });
  return items.map((item) => ({ key: { day: String(item.day), dimension, value: String(item.value) }, aggregate: aggregateOf(item) }));
}

function aggregateOf(item: Record<string, unknown>): Aggregate {
  const counters: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) if (isCounterName(name) && typeof value === 'number') counters[name] = value;
  const cycleSeconds = Array.isArray(item.cycleSeconds)
    ? item.cycleSeconds.filter((value): value is number => typeof value === 'number')
    : [];
  return { counters, cycleSeconds };
}
