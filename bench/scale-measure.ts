/**
 * What a sample of leads cost in the local cloud, from what bench/scale.ts recorded: function
 * invocations, DynamoDB exchanges, the table's stream, the executions' histories. Turned into the
 * per-lead profile that bench/scale-model.ts scales.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { GetExecutionHistoryCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { CAMPAIGN_SHARDS, EVENT_SHARDS, STAGE_SHARDS, tableKeys } from '../core/keys';
import type { DynamoDbExchange } from '../local/faults';
import type { InvocationRecord } from '../local/lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/local-aws';
import { parseScheduleExpression } from '../local/schedules';
import { indexWrites, itemBytes, keyOf, requestUnits, type Item } from './dynamodb-units';
import { HOURS_PER_MONTH, type FunctionLoad, type SharedPartition } from './scale-model';

export type { StreamRecord };

/** DynamoDB bills 100 bytes of overhead per item stored, and per index entry. */
const ITEM_OVERHEAD_BYTES = 100;
const indexes = [tableKeys.byStage, tableKeys.byDay, tableKeys.byOwner];

/**
 * Every record of the table's stream after the one numbered `after` (DynamoDB Local keeps them 24
 * hours). By sequence number, not by time: a record's time is rounded down to its minute.
 */
export async function streamRecords(dynamo: DynamoDBClient, endpoint: string, tableName: string, after = -1n): Promise<StreamRecord[]> {
  const streams = new DynamoDBStreamsClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint });
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error('the table has no stream');
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
    shards.push(...(StreamDescription?.Shards ?? []));
    start = StreamDescription?.LastEvaluatedShardId;
  } while (start);
  const records: StreamRecord[] = [];
  for (const shard of shards) {
    let iterator = (
      await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      records.push(...(page.Records ?? []));
      // An open shard answers empty pages forever: its end for now.
      iterator = (page.Records ?? []).length > 0 ? page.NextShardIterator : undefined;
    }
  }
  streams.destroy();
  return records.filter((record) => sequenceOf(record) > after);
}

/** The last sequence number among `records` (-1 for none). */
export function lastSequence(records: readonly StreamRecord[]): bigint {
  return records.reduce((last, record) => (sequenceOf(record) > last ? sequenceOf(record) : last), -1n);
}

function sequenceOf(record: StreamRecord): bigint {
  return BigInt(record.dynamodb?.SequenceNumber ?? '0');
}

/** Executions started since `since` on these state machines, their transitions (states entered) and history events. */
export async function executionCounts(
  sfn: SFNClient,
  stateMachineArns: readonly string[],
  since: Date,
): Promise<{ executions: number; transitions: number; historyEvents: number }> {
  const counts = { executions: 0, transitions: 0, historyEvents: 0 };
  for (const stateMachineArn of stateMachineArns) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 1000 }));
      for (const execution of page.executions ?? []) {
        if ((execution.startDate?.getTime() ?? 0) < since.getTime()) continue;
        counts.executions += 1;
        let historyToken: string | undefined;
        do {
          const history = await sfn.send(
            new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 1000, nextToken: historyToken }),
          );
          const events = history.events ?? [];
          counts.historyEvents += events.length;
          counts.transitions += events.filter((event) => event.type?.endsWith('StateEntered')).length;
          historyToken = history.nextToken;
        } while (historyToken);
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return counts;
}

/** How often a schedule expression fires in a month of HOURS_PER_MONTH. */
export function monthlyFirings(expression: string): number {
  const schedule = parseScheduleExpression(expression);
  if (schedule.kind === 'rate') return (HOURS_PER_MONTH * 3_600_000) / schedule.periodMs;
  let firings = 0;
  const start = Date.UTC(2026, 0, 1);
  for (let at = schedule.next(start); at < start + HOURS_PER_MONTH * 3_600_000; at = schedule.next(at)) firings += 1;
  return firings;
}

/**
 * Invocations per lead and mean durations by function; a scheduled function instead runs its
 * `scheduledFirings` a month whatever the volume.
 */
export function functionLoads(
  invocations: readonly InvocationRecord[],
  leads: number,
  memoryMbOf: (functionId: string) => number,
  scheduledFirings: ReadonlyMap<string, number>,
): { functions: FunctionLoad[]; scheduled: FunctionLoad[] } {
  const byFunction = new Map<string, { count: number; totalMs: number }>();
  for (const invocation of invocations) {
    const entry = byFunction.get(invocation.functionId) ?? { count: 0, totalMs: 0 };
    entry.count += 1;
    entry.totalMs += invocation.durationMs;
    byFunction.set(invocation.functionId, entry);
  }
  const functions: FunctionLoad[] = [];
  const scheduled: FunctionLoad[] = [];
  for (const [functionId, { count, totalMs }] of [...byFunction].sort((a, b) => b[1].count - a[1].count)) {
    const load = { functionId, meanDurationMs: totalMs / count, memoryMb: memoryMbOf(functionId) };
    const firings = scheduledFirings.get(functionId);
    if (firings === undefined) functions.push({ ...load, invocations: count / leads });
    else scheduled.push({ ...load, invocations: firings });
  }
  return { functions, scheduled };
}

export interface DynamoDbLoad {
  requestsPerLead: number;
  requestsPerLeadByOperation: Array<[operation: string, perLead: number]>;
  writeUnitsPerLead: number;
  indexWriteUnitsPerLead: number;
  readUnitsPerLead: number;
  storedBytesPerLead: number;
  /** Partitions many leads write to, the hottest (per partition) first. */
  sharedPartitions: SharedPartition[];
}

/**
 * The DynamoDB side of the sample, per lead: the requests the functions made (units from the
 * items' sizes, the largest each item was in the stream), the index writes of every item change
 * in the stream, what the table still holds of the items the sample wrote (`tableItems`: the table
 * afterwards), and the partitions shared by many leads. Writes of scheduled functions count in
 * the units but not in the shared partitions: they come once a run, not at the leads' rate.
 */
export function dynamoDbLoad(options: {
  exchanges: readonly DynamoDbExchange[];
  records: readonly StreamRecord[];
  tableItems: readonly Item[];
  scheduledFunctionIds: ReadonlySet<string>;
  leads: number;
}): DynamoDbLoad {
  const { exchanges, records, tableItems, scheduledFunctionIds, leads } = options;
  const storedBytes = new Map<string, number>();
  for (const record of records) {
    for (const image of [record.dynamodb?.OldImage, record.dynamodb?.NewImage]) {
      const key = keyOf(image);
      if (image && key) storedBytes.set(key, Math.max(storedBytes.get(key) ?? 0, itemBytes(image)));
    }
  }
  const sizeOf = (key: string) => storedBytes.get(key) ?? 0;

  const requestsByOperation = new Map<string, number>();
  const partitionWrites = new Map<string, number>();
  const addWrites = (partition: string, units: number) => partitionWrites.set(partition, (partitionWrites.get(partition) ?? 0) + units);
  let writeUnits = 0;
  let readUnits = 0;
  for (const exchange of exchanges) {
    requestsByOperation.set(exchange.operation, (requestsByOperation.get(exchange.operation) ?? 0) + 1);
    const units = requestUnits(exchange.operation, exchange.request, exchange.response, sizeOf);
    writeUnits += units.writeUnits;
    readUnits += units.readUnits;
    if (scheduledFunctionIds.has(exchange.functionId)) continue;
    for (const [partition, value] of units.writesByPartition) addWrites(partition, value);
  }
  let indexWriteUnits = 0;
  for (const record of records) {
    for (const write of indexWrites(record.dynamodb?.OldImage, record.dynamodb?.NewImage, indexes)) {
      indexWriteUnits += write.units;
      addWrites(write.partition, write.units);
    }
  }

  // What stays stored: the items the sample wrote that are still there, with their index copies.
  const written = new Set(records.map((record) => keyOf(record.dynamodb?.Keys)));
  let tableBytes = 0;
  for (const item of tableItems) {
    if (!written.has(keyOf(item))) continue;
    const onIndexes = indexes.filter((index) => item[index.partitionKey] !== undefined).length;
    tableBytes += (itemBytes(item) + ITEM_OVERHEAD_BYTES) * (1 + onIndexes);
  }

  return {
    requestsPerLead: exchanges.length / leads,
    requestsPerLeadByOperation: [...requestsByOperation]
      .sort((a, b) => b[1] - a[1])
      .map(([operation, count]) => [operation, count / leads]),
    writeUnitsPerLead: writeUnits / leads,
    indexWriteUnitsPerLead: indexWriteUnits / leads,
    readUnitsPerLead: readUnits / leads,
    storedBytesPerLead: tableBytes / leads,
    sharedPartitions: sharedPartitions(partitionWrites, leads),
  };
}

function sharedPartitions(partitionWrites: ReadonlyMap<string, number>, leads: number): SharedPartition[] {
  const owners = [...partitionWrites.keys()].filter((partition) => partition.startsWith('OWNER#')).length;
  const families = new Map<string, SharedPartition>();
  for (const [partition, units] of partitionWrites) {
    const family = partitionFamily(partition, owners);
    if (!family) continue;
    const entry = families.get(family.family) ?? { name: family.family, writeUnitsPerLead: 0, partitions: family.spread };
    entry.writeUnitsPerLead += units / leads;
    families.set(family.family, entry);
  }
  return [...families.values()].sort((a, b) => b.writeUnitsPerLead / b.partitions - a.writeUnitsPerLead / a.partitions);
}

/**
 * The family of a partition many leads write to (a time window or a shard number folded), with how
 * many partitions share the family's load at a time (the shard counts of core/keys.ts); undefined
 * for a partition of its own (a lead, a submission, one client's rate window).
 */
export function partitionFamily(partition: string, owners: number): { family: string; spread: number } | undefined {
  const [kind = '', ...rest] = partition.split('#');
  if (['LEAD', 'SUBMISSION', 'IDEMPOTENCY', 'SUPPRESSED', 'APIKEY', 'JOB'].includes(kind)) return undefined;
  switch (kind) {
    case 'STAGE':
      return { family: `STAGE#${rest[0] ?? ''}`, spread: rest.length > 1 ? STAGE_SHARDS : 1 };
    case 'DAY':
      return { family: 'DAY#<day>', spread: rest.length > 1 ? EVENT_SHARDS : 1 };
    case 'CAMPAIGN':
      return { family: 'CAMPAIGN#<campaign>', spread: rest.length > 1 ? CAMPAIGN_SHARDS : 1 };
    case 'RATE':
      // One client's window is its own partition; the form's window takes every post of the minute.
      return rest.length > 2 ? undefined : { family: `RATE#${rest[0] ?? ''}#<minute>`, spread: 1 };
    case 'SENDRATE':
      return { family: 'SENDRATE#<second>', spread: 1 };
    case 'DELIVERABILITY':
      return { family: 'DELIVERABILITY#<hour>', spread: 1 };
    case 'AUDIT':
      return { family: 'AUDIT#<day>', spread: 1 };
    case 'OWNER':
      // The round robin spreads qualified leads over the reps.
      return { family: 'OWNER#<rep>', spread: Math.max(1, owners) };
    default:
      return { family: partition, spread: 1 };
  }
}
