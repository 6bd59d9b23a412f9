/**
 * A DynamoDB Streams event source mapping: reads a table's stream in DynamoDB Local and invokes a
 * function with AWS-shaped `{Records}` batches, as AWS::Lambda::EventSourceMapping does with
 * FilterCriteria, BatchSize, MaximumRetryAttempts and FunctionResponseTypes
 * ['ReportBatchItemFailures'].
 *
 * - Start: without a checkpoint, only records written from now on are delivered (LATEST); the
 *   poller reads the open shards to their tip once and discards what it finds, which also
 *   tells it the exact position to checkpoint. With `checkpointFile`, it resumes after the last
 *   sequence number handled per shard, so records written while it was stopped are delivered
 *   (DynamoDB Local keeps stream records 24 hours, like AWS).
 * - Shards: discovered on every poll; a child shard is read once its parent is finished.
 * - Reading: like Lambda's pollers, each GetRecords takes up to 1,000 records; the filter runs on
 *   them, and what matches is delivered in batches of at most BatchSize, one after another. A
 *   shard that had records is read again at once; an idle one after the poll interval. (Reading
 *   only BatchSize records a poll, the consumer of a busy table fell minutes behind the writes.)
 * - Failures: a batch whose invocation throws is retried whole; a response with
 *   `batchItemFailures` retries from the failed record with the lowest sequence number. After
 *   `maxRetries` retries (-1: forever, the AWS default) the records are logged and skipped,
 *   where AWS would send them to the on-failure destination.
 * - Not supported: BisectBatchOnFunctionError, MaximumBatchingWindowInSeconds (a batch is what
 *   one poll finds), ParallelizationFactor (shards are read one after another), tumbling windows.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { matchesAnyPattern, parseFilterPatterns } from './event-pattern';

export interface StreamPollerOptions {
  /** DynamoDB Local's endpoint (its streams API is served on the same port). */
  endpoint: string;
  tableName: string;
  /** Who consumes the stream (the function's name), for the log lines. */
  consumer?: string;
  invoke: (event: DynamoDbStreamEvent) => Promise<unknown>;
  /** `FilterCriteria.Filters[].Pattern`; empty delivers every record. */
  filterPatterns: string[];
  batchSize: number;
  /** MaximumRetryAttempts: -1 retries until the records expire, as on AWS. */
  maxRetries: number;
  pollIntervalMs: number;
  log: (line: string) => void;
  /** Where to keep the last handled sequence number per shard, to resume after a restart. */
  checkpointFile?: string;
  /** FunctionResponseTypes includes ReportBatchItemFailures (default true). */
  reportBatchItemFailures?: boolean;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface DynamoDbStreamRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: string;
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime?: number;
    Keys?: Record<string, unknown>;
    NewImage?: Record<string, unknown>;
    OldImage?: Record<string, unknown>;
    SequenceNumber: string;
    SizeBytes?: number;
    StreamViewType?: string;
  };
  userIdentity?: { type: string; principalId: string };
  eventSourceARN: string;
}

export interface DynamoDbStreamEvent {
  Records: DynamoDbStreamRecord[];
}

export interface StreamPoller {
  /** Resolves after the next poll that found nothing new on any shard and nothing left to retry. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

interface ShardState {
  id: string;
  parentId?: string;
  iterator?: string;
  /** Last sequence number handled (delivered, filtered out, or skipped at start). */
  after?: string;
  /** Reading to the tip without delivering: how LATEST is implemented. */
  skipping: boolean;
  finished: boolean;
  pending?: PendingBatch;
}

/** What matched the filter in one page of a shard, still to deliver; `last` ends the page. */
interface PendingBatch {
  records: DynamoDbStreamRecord[];
  last: string;
  /** Failed attempts of the batch at the head of `records`. */
  attempts: number;
  retryAt: number;
}

/** Records per GetRecords: the API's own limit, which Lambda's pollers read up to. */
const RECORDS_PER_READ = 1000;

interface Checkpoint {
  streamArn: string;
  shards: Record<string, { after?: string; finished?: boolean }>;
}

export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const region = options.region ?? 'us-east-1';
  const config = {
    endpoint: options.endpoint,
    region,
    credentials: options.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const patterns = parseFilterPatterns(options.filterPatterns);
  const reportFailures = options.reportBatchItemFailures ?? true;
  const label = `stream ${options.tableName}${options.consumer ? ` -> ${options.consumer}` : ''}`;
  const dynamodb = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const destroyClients = () => {
    dynamodb.destroy();
    streams.destroy();
  };

  let streamArn: string;
  let checkpoint: Checkpoint | undefined;
  try {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
    if (!Table?.LatestStreamArn) throw new Error(`table ${options.tableName} has no stream`);
    streamArn = Table.LatestStreamArn;
    checkpoint = options.checkpointFile ? await readCheckpoint(options.checkpointFile, streamArn) : undefined;
  } catch (error) {
    destroyClients();
    throw error;
  }
  // DynamoDB Local names its region "ddblocal"; functions see the region they run in.
  const eventSourceArn = streamArn.replace(':ddblocal:', `:${region}:`);
  const shards = new Map<string, ShardState>();
  let firstDiscovery = true;

  /** Something a checkpoint should record changed since it was last written. */
  let dirty = false;
  let stopped = false;

  async function discoverShards(): Promise<void> {
    for (const shard of await listShards(streams, streamArn)) {
      if (!shard.ShardId || shards.has(shard.ShardId)) continue;
      dirty = true;
      const saved = checkpoint?.shards[shard.ShardId];
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      shards.set(shard.ShardId, {
        id: shard.ShardId,
        ...(shard.ParentShardId && { parentId: shard.ParentShardId }),
        ...(saved?.after && { after: saved.after }),
        // Without a checkpoint, what is in the stream at start is history: skip it (LATEST).
        skipping: !checkpoint && firstDiscovery && !closed,
        finished: saved?.finished ?? (!checkpoint && firstDiscovery && closed),
      });
    }
    firstDiscovery = false;
  }

  /** A child shard waits until its parent (if still listed) is finished, to keep per-key order. */
  function readable(shard: ShardState): boolean {
    const parent = shard.parentId ? shards.get(shard.parentId) : undefined;
    return !shard.finished && (!parent || parent.finished);
  }

  async function iteratorFor(shard: ShardState): Promise<string | undefined> {
    const position = shard.after
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, SequenceNumber: shard.after }
      : { ShardIteratorType: 'TRIM_HORIZON' as const };
    try {
      const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.id, ...position }));
      return ShardIterator;
    } catch (error) {
      if ((error as Error).name !== 'TrimmedDataAccessException' || !shard.after) throw error;
      options.log(`${label}: records after the checkpoint expired; reading ${shard.id} from the oldest record`);
      delete shard.after;
      return iteratorFor(shard);
    }
  }

  /**
   * Reads one page from the shard and delivers it. 'read': records were read or delivered (read
   * again at once); 'waiting': a failed batch waits for its retry; 'idle': nothing new.
   */
  async function step(shard: ShardState): Promise<'read' | 'waiting' | 'idle'> {
    if (shard.pending) {
      if (Date.now() < shard.pending.retryAt) return 'waiting';
      return (await deliver(shard, shard.pending)) ? 'read' : 'waiting';
    }
    shard.iterator ??= await iteratorFor(shard);
    if (!shard.iterator) {
      shard.finished = true;
      return 'idle';
    }
    let page;
    try {
      page = await streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: RECORDS_PER_READ }));
    } catch (error) {
      if ((error as Error).name !== 'ExpiredIteratorException') throw error;
      delete shard.iterator;
      return 'read';
    }
    const records = (page.Records ?? []).map((record) => toLambdaRecord(record, region, eventSourceArn));
    if (page.NextShardIterator) shard.iterator = page.NextShardIterator;
    else {
      delete shard.iterator;
      shard.finished = true;
      dirty = true;
    }
    const last = records.at(-1)?.dynamodb.SequenceNumber;
    if (!last) {
      if (shard.skipping) dirty = true;
      shard.skipping = false;
      return 'idle';
    }
    const matching = shard.skipping ? [] : records.filter((record) => matchesAnyPattern(patterns, record));
    if (matching.length === 0) {
      advance(shard, last);
      return 'read';
    }
    const pending: PendingBatch = { records: matching, last, attempts: 0, retryAt: 0 };
    shard.pending = pending;
    return (await deliver(shard, pending)) ? 'read' : 'waiting';
  }

  /**
   * Sends the shard's pending records in batches of at most BatchSize, in order: then advances past
   * the page (true), or leaves the rest (from the first failed record) for a retry (false).
   */
  async function deliver(shard: ShardState, pending: PendingBatch): Promise<boolean> {
    while (pending.records.length > 0 && !stopped) {
      const batch = pending.records.slice(0, options.batchSize);
      let retryFrom: number;
      try {
        const response = await options.invoke({ Records: batch });
        retryFrom = reportFailures ? firstFailure(response, batch) : -1;
      } catch (error) {
        options.log(`${label}: batch of ${batch.length} failed: ${(error as Error).name}`);
        retryFrom = 0;
      }
      const handled = batch.slice(0, retryFrom < 0 ? batch.length : retryFrom);
      const lastHandled = handled.at(-1);
      if (lastHandled) advance(shard, lastHandled.dynamodb.SequenceNumber);
      pending.records = pending.records.slice(handled.length);
      if (retryFrom < 0) {
        pending.attempts = 0;
        continue;
      }
      pending.attempts += 1;
      if (options.maxRetries >= 0 && pending.attempts > options.maxRetries) {
        const dropped = pending.records.splice(0, batch.length - handled.length);
        const ids = dropped.map((record) => record.dynamodb.SequenceNumber);
        options.log(`${label}: giving up on ${dropped.length} record(s) after ${options.maxRetries} retries: ${ids.join(', ')}`);
        const lastDropped = ids.at(-1);
        if (lastDropped) advance(shard, lastDropped);
        pending.attempts = 0;
        continue;
      }
      pending.retryAt = Date.now() + options.pollIntervalMs;
      return false;
    }
    if (pending.records.length > 0) return false;
    delete shard.pending;
    advance(shard, pending.last);
    return true;
  }

  function advance(shard: ShardState, sequenceNumber: string): void {
    shard.after = sequenceNumber;
    dirty = true;
  }

  /** One poll of every readable shard: 'read' when some shard had records, 'waiting' when only retries are pending. */
  async function pass(): Promise<'read' | 'waiting' | 'idle'> {
    await discoverShards();
    let outcome: 'read' | 'waiting' | 'idle' = 'idle';
    for (const shard of shards.values()) {
      if (stopped || !readable(shard)) continue;
      const stepped = await step(shard);
      if (stepped === 'read' || (stepped === 'waiting' && outcome === 'idle')) outcome = stepped;
    }
    // Not while a shard is still skipping: its position is not known yet.
    const skipping = [...shards.values()].some((shard) => shard.skipping);
    if (options.checkpointFile && dirty && !skipping) {
      await writeCheckpoint(options.checkpointFile, streamArn, shards);
      dirty = false;
    }
    return outcome;
  }

  try {
    // Reading to the tip establishes the start position before the caller writes anything.
    do {
      await pass();
    } while ([...shards.values()].some((shard) => shard.skipping));
  } catch (error) {
    destroyClients();
    throw error;
  }

  let wake: (() => void) | undefined;
  /** caughtUp() callers wait for an idle pass that started after they asked. */
  let waitingForNextPass: Array<() => void> = [];

  // A named function, not an inline one: TypeScript would read `stopped` as still false there.
  async function pollUntilStopped(): Promise<void> {
    let outcome: 'read' | 'waiting' | 'idle' = 'idle';
    while (!stopped) {
      // A shard that had records is read again at once, as Lambda's pollers do.
      if (outcome !== 'read') {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollIntervalMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const waiting = waitingForNextPass;
      waitingForNextPass = [];
      try {
        outcome = await pass();
      } catch (error) {
        outcome = 'waiting';
        options.log(`${label}: poll failed: ${(error as Error).message}`);
      }
      if (outcome !== 'idle') waitingForNextPass.push(...waiting);
      else for (const resolve of waiting) resolve();
    }
  }
  const loop = pollUntilStopped();

  return {
    caughtUp: () =>
      new Promise<void>((resolve) => {
        waitingForNextPass.push(resolve);
        wake?.();
      }),
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      for (const resolve of waitingForNextPass) resolve();
      destroyClients();
    },
  };
}

async function listShards(streams: DynamoDBStreamsClient, streamArn: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn, ...(start && { ExclusiveStartShardId: start }) }),
    );
    shards.push(...(StreamDescription?.Shards ?? []));
    start = StreamDescription?.LastEvaluatedShardId;
  } while (start);
  return shards;
}

/**
 * Index of the first record to retry, or -1 when the batch succeeded. As on AWS, an empty or
 * missing response is success, and a failure naming no record of the batch fails it whole.
 */
export function firstFailure(response: unknown, records: DynamoDbStreamRecord[]): number {
  const failures = (response as { batchItemFailures?: Array<{ itemIdentifier?: unknown } | null> } | null)?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return -1;
  const indexes = failures.map((failure) => records.findIndex((r) => r.dynamodb.SequenceNumber === failure?.itemIdentifier));
  return indexes.includes(-1) ? 0 : Math.min(...indexes);
}

/** The SDK's record as Lambda delivers it: epoch seconds, binary as base64, the function's region. */
function toLambdaRecord(record: StreamRecord, region: string, eventSourceArn: string): DynamoDbStreamRecord {
  const { ApproximateCreationDateTime, ...rest } = record.dynamodb ?? {};
  const data = {
    ...rest,
    ...(rest.NewImage && { NewImage: restoreEmptyMaps(rest.NewImage) }),
    ...(rest.OldImage && { OldImage: restoreEmptyMaps(rest.OldImage) }),
  };
  return {
    ...(toPlainJson(record) as Omit<DynamoDbStreamRecord, 'dynamodb' | 'awsRegion' | 'eventSourceARN'>),
    awsRegion: region,
    dynamodb: {
      ...(ApproximateCreationDateTime && { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) }),
      ...(toPlainJson(data) as DynamoDbStreamRecord['dynamodb']),
    },
    eventSourceARN: eventSourceArn,
  };
}

/**
 * @aws-sdk/client-dynamodb-streams deserializes an empty map attribute (`{"M":{}}`) to `{}`, which
 * Lambda never sends and `unmarshall` rejects. An attribute value with no type can only have been
 * an empty map, so restore it, at any depth.
 */
function restoreEmptyMaps(image: unknown): unknown {
  if (typeof image !== 'object' || image === null) return image;
  const repair = (value: Record<string, unknown>): Record<string, unknown> => {
    if (Object.keys(value).length === 0) return { M: {} };
    if (value.M && typeof value.M === 'object') return { M: restoreEmptyMaps(value.M) };
    if (Array.isArray(value.L)) return { L: value.L.map((item) => repair(item as Record<string, unknown>)) };
    return value;
  };
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, repair(value as Record<string, unknown>)]));
}

function toPlainJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toPlainJson(item)]));
  }
  return value;
}

async function readCheckpoint(file: string, streamArn: string): Promise<Checkpoint | undefined> {
  let saved: Checkpoint;
  try {
    saved = JSON.parse(await readFile(file, 'utf8')) as Checkpoint;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // A recreated table has a new stream: the old positions mean nothing.
  return saved.streamArn === streamArn ? saved : undefined;
}

async function writeCheckpoint(file: string, streamArn: string, shards: Map<string, ShardState>): Promise<void> {
  const checkpoint: Checkpoint = {
    streamArn,
    shards: Object.fromEntries(
      [...shards.values()].map((shard) => [
        shard.id,
        { ...(shard.after && { after: shard.after }), ...(shard.finished && { finished: true }) },
      ]),
    ),
  };
  // Write then rename, so a crash never leaves half a checkpoint.
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(checkpoint));
  await rename(`${file}.tmp`, file);
}
