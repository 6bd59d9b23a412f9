/**
 * The local cloud: the synthesized CDK app (the cloud assembly itself) running on this machine.
 * Its table in DynamoDB Local, each function's bundle in a worker thread with its own
 * environment, its HTTP API routes on a local port, plus the demo landing page on another origin.
 * The CLI (local/main.ts), the integration tests and the benchmarks all start it through here.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { durationSeconds } from '../core/duration';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readAssembly, withLocalApiUrl, type HttpApiSpec, type TableSpec } from './assembly';
import { checkJava, ensureTables, startDynamoDb } from './dynamodb';
import { startControl } from './control';
import { LocalEventBus } from './event-bus';
import { DynamoFaults, SesFaults, type DynamoDbExchange } from './faults';
import { startHttpApi } from './http-api';
import { functionConstructId, LocalFunction, type InvocationRecord } from './lambda';
import { repoRoot } from './local-aws';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { migrateToShardedKeys } from '../scripts/shard-migration';
import { fastForwardClock, scaledClock, type LocalClock } from './clock';
import { startSchedules } from './schedules';
import { startSecretsManager } from './secrets-manager';
import { seed } from './seed';
import { createEmailTemplates, startSes } from './ses';
import { LocalSesEvents } from './ses-events';
import { startSite } from './site';
import { LocalStepFunctions } from './step-functions';
import { startStreamPoller } from './streams';
import { synthesizeCached } from './synth';

/** infra/app.ts STACK_NAME (importing it would load aws-cdk-lib into this process). */
const STACK_NAME = 'Leadflow';

export interface LocalCloudOptions {
  /** Default `<repo>/.leadflow`; holds cdk.out, the DynamoDB data and the admin key. */
  dataDir?: string;
  /** Wipe the persisted data (and with it the admin key) first. */
  fresh?: boolean;
  /** DynamoDB Local in memory (tests, benchmarks): nothing persists. */
  inMemory?: boolean;
  /** Default 3000; 0 picks a free port. */
  apiPort?: number;
  /** The demo landing page, on another origin than the API so CORS is real. Default 3001; 0 picks a free port. */
  sitePort?: number;
  /** Default 8000; 0 picks a free port. */
  dynamoPort?: number;
  /** Default console.log; tests pass a no-op. */
  log?: (line: string) => void;
  /**
   * How many seconds of workflow time pass in one real second: waits, follow-up timeouts and
   * schedules are scaled (86400: a day per second). Default LEADFLOW_TIME_SCALE, else 1.
   */
  timeScale?: number;
  /**
   * Default true. False leaves the table's stream unread: no workflow starts, no derived history.
   * Only for measuring a request path alone (bench/capture.ts); never what the platform does.
   */
  eventSources?: boolean;
  /**
   * The maximum duration of a workflow execution in wall-clock seconds (not scaled: the steps
   * measure an execution's age by the clock); a longer one ends TIMED_OUT, as Standard executions do after a year on AWS.
   * Default LEADFLOW_EXECUTION_LIFETIME (an ISO-8601 duration such as P30D), else a year.
   */
  executionLifetimeSeconds?: number;
  /** CDK context added to cdk.json's for the synthesis (`dashboardOrigins`, `apiThrottle`...), as `cdk synth -c` would. */
  context?: Record<string, unknown>;
  /**
   * Runs the cloud through a past period (local/clock.ts): functions, waits and SES events read a
   * virtual time from `from`, `timeScale` times faster, until `until`, then real time. `npm run demo`.
   */
  fastForward?: { from: Date; until: Date };
  /** Hooks for measurements (bench/scale.ts): every function invocation, every DynamoDB request a function made. */
  observe?: CloudObserver;
}

export interface CloudObserver {
  onInvoke?: (invocation: InvocationRecord) => void;
  onDynamoDbExchange?: (exchange: DynamoDbExchange) => void;
}

export interface LocalCloud {
  /** `http://127.0.0.1:<port>` */
  apiUrl: string;
  /** The demo landing page's origin. */
  siteUrl: string;
  dynamoEndpoint: string;
  /** The table's local name. */
  tableName: string;
  /** Plaintext local admin API key (scope `admin`). */
  adminKey: string;
  assemblyDir: string;
  /** The local SES mailbox: `storeUrl` answers JSON `{emails}`, `uiUrl` is its web page. */
  mailbox: { storeUrl: string; uiUrl: string };
  /** SES v2 as the functions reach it (`AWS_ENDPOINT_URL_SESV2`): sends through it publish SES events. */
  sesEndpoint: string;
  /** For `@aws-sdk/client-sfn` (`endpoint`). */
  sfnEndpoint: string;
  /** State machine ARNs by construct id (`LeadLifecycle`, `Rescore`). */
  stateMachines: Record<string, string>;
  /** The control plane: executions, schedules, faults (local/control.ts). */
  controlUrl: string;
  timeScale: number;
  /** Business time (local/clock.ts). A fast-forward clock stands at its `from` until `clock.start()`. */
  clock: LocalClock;
  /** Invokes a function directly, by logical id or by a part of its construct path (`GetLead`, `Leads/GetLead`). */
  invoke(functionLogicalIdOrConstructPathPart: string, event: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const started = performance.now();
  const log = options.log ?? console.log;
  const dataDir = path.resolve(options.dataDir ?? path.join(repoRoot, '.leadflow'));
  const dynamoDir = path.join(dataDir, 'dynamodb');
  const adminKeyFile = path.join(dataDir, 'admin-key');
  const checkpointDir = path.join(dataDir, 'stream-checkpoints');
  // Workflow executions with their history, timers and task tokens (local/step-functions/store.ts).
  const executionsDir = path.join(dataDir, 'step-functions');
  // Generated secret values (the lead-id key, the form-secrets key): kept across restarts, like the table.
  const secretsFile = path.join(dataDir, 'secrets.json');
  // A missing Java is a one-line answer now, not after a synthesis.
  await checkJava();
  mkdirSync(dataDir, { recursive: true });
  if (options.fresh) {
    for (const stored of [dynamoDir, adminKeyFile, checkpointDir, secretsFile, executionsDir])
      rmSync(stored, { recursive: true, force: true });
  }

  // What is running, stopped in reverse order: servers, then functions, then DynamoDB Local.
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stops.splice(0).reverse()) {
      await stopOne().catch((error: unknown) => {
        log(`stop: ${String(error)}`);
      });
    }
  };

  // Filled once synthesized and started, for the supervisor's restarts of DynamoDB Local.
  let tables: TableSpec[] = [];
  let restartedClient: DynamoDBClient | undefined;
  try {
    // Java's start-up and the synthesis (a child process) overlap.
    const [synthesized, database] = await Promise.allSettled([
      synthesizeCached(path.join(dataDir, 'cdk.out'), options.context).then(({ dir, cached }) => {
        log(cached ? `took the CDK app synthesized before from the same sources` : `synthesized the CDK app in ${secondsSince(started)}`);
        return dir;
      }),
      startDynamoDb({
        port: options.dynamoPort ?? 8000,
        dataDir: options.inMemory ? undefined : dynamoDir,
        log,
        // In memory, a restarted DynamoDB Local is empty: the tables at least come back.
        onRestart: () => (tables.length > 0 && restartedClient ? ensureTables(restartedClient, tables, log) : Promise.resolve()),
      }).then((db) => {
        stops.push(() => db.stop());
        log(`DynamoDB Local answered in ${secondsSince(started)}`);
        return db;
      }),
    ]);
    if (synthesized.status === 'rejected') throw synthesized.reason;
    if (database.status === 'rejected') throw database.reason;
    const dynamo = database.value;

    const assembly = readAssembly(synthesized.value, STACK_NAME);
    const [table] = assembly.tables;
    if (assembly.tables.length !== 1 || !table) throw new Error(`expected one table in ${STACK_NAME}, found ${assembly.tables.length}`);
    checkDisjointRoutes(assembly.httpApis);
    await ensureTables(dynamo.client, assembly.tables, log);
    // A data directory kept from before write sharding is brought to the sharded layout (a no-op after).
    const migrated = await migrateToShardedKeys(DynamoDBDocumentClient.from(dynamo.client), table.name);
    if (migrated.leads + migrated.enrollments + migrated.counters > 0) log(`migrated to sharded keys: ${JSON.stringify(migrated)}`);
    tables = assembly.tables;
    restartedClient = dynamo.client;
    const timeScale = options.timeScale ?? Number(process.env.LEADFLOW_TIME_SCALE ?? 1);
    if (!(timeScale > 0)) throw new Error(`the time scale must be a positive number, not ${timeScale}`);
    const clock = options.fastForward ? fastForwardClock({ ...options.fastForward, scale: timeScale }) : scaledClock(timeScale);

    // SES local, reached by the functions through the fault-injecting proxy.
    const ses = await startSes({ port: 0, log });
    stops.push(() => ses.stop());
    await createEmailTemplates(ses.endpoint, assembly.emailTemplates);
    const sesFaults = new SesFaults();
    // SES local publishes no events: the local cloud publishes them as the configuration set's event
    // destinations say (local/ses-events.ts), onto a default bus that runs the template's event rules.
    const eventBus = new LocalEventBus({
      rules: assembly.eventRules,
      invoke: (logicalId, event) => byLogicalId(logicalId).invoke(event),
      log,
    });
    const sesEvents = new LocalSesEvents({
      destinations: assembly.sesEventDestinations,
      publish: (event) => eventBus.put(event),
      log,
      now: () => clock.now(),
    });
    const sesProxy = await sesFaults.startProxy(ses.endpoint, (body, messageId) => {
      sesEvents.recordSend(body, messageId);
    });
    stops.push(() => sesProxy.close());

    const functions = new Map<string, LocalFunction>();
    const byArnOrName = (reference: string) => {
      const fn = [...functions.values()].find((candidate) => candidate.spec.arn === reference || candidate.spec.name === reference);
      if (!fn) throw new Error(`no local function ${reference}`);
      return fn;
    };
    const byLogicalId = (logicalId: string) => {
      const fn = functions.get(logicalId);
      if (!fn) throw new Error(`no local function ${logicalId}`);
      return fn;
    };
    const lifetime = options.executionLifetimeSeconds ?? lifetimeFromEnvironment();
    const stepFunctions = new LocalStepFunctions({
      timeScale,
      ...(clock.fastForward && { clock }),
      log,
      ...(lifetime !== undefined && { lifetimeSeconds: lifetime }),
      ...(!options.inMemory && { storeDir: executionsDir }),
      invokeFunction: (reference, payload) => byArnOrName(reference).invoke(payload),
    });
    for (const machine of assembly.stateMachines) {
      stepFunctions.createStateMachine({ name: machine.name, arn: machine.arn, definition: machine.definition });
    }
    stops.push(() => stepFunctions.stop());
    const sfnServer = await stepFunctions.listen(0);
    stops.push(() => sfnServer.close());

    // Functions reach DynamoDB Local through a proxy that can throttle, refuse or stall on demand.
    const dynamoFaults = new DynamoFaults();
    const dynamoProxy = await dynamoFaults.startProxy(dynamo.endpoint, options.observe?.onDynamoDbExchange);
    stops.push(async () => {
      dynamoFaults.set('off');
      await dynamoProxy.close();
    });
    const secretsManager = await startSecretsManager({ secrets: assembly.secrets, file: options.inMemory ? undefined : secretsFile });
    stops.push(() => secretsManager.close());

    // Every HTTP API of the stack on one port (their routes are disjoint), each route under its own
    // API's configuration. It listens before the functions exist, so that their environment can
    // hold its URL (the links in emails point at it); until they exist a request is answered 5xx.
    const apiServer = await startHttpApi({
      apis: assembly.httpApis,
      pages: {
        '/dashboard': async () =>
          (await readFile(path.join(repoRoot, 'web', 'dashboard', 'index.html'), 'utf8')).replaceAll('{{API_URL}}', apiServer.url),
      },
      port: options.apiPort ?? 3000,
      invoke: (logicalId, event) => byLogicalId(logicalId).invoke(event),
      log,
    });
    stops.push(() => apiServer.close());

    const endpoints = {
      DYNAMODB: dynamoProxy.url,
      SFN: sfnServer.endpoint,
      SESV2: sesProxy.url,
      SECRETS_MANAGER: secretsManager.endpoint,
    };
    for (const spec of assembly.functions) {
      // DynamoDB Local updates indexes synchronously, but a writer stamps `ingestedAt` before its write lands: keep a short lag.
      const environment: Record<string, string> =
        'METRICS_CONSISTENCY_LAG_SECONDS' in spec.environment ? { METRICS_CONSISTENCY_LAG_SECONDS: '2' } : {};
      functions.set(
        spec.logicalId,
        new LocalFunction(
          { ...spec, environment: withLocalApiUrl({ ...spec.environment, ...environment }, apiServer.url) },
          {
            endpoints,
            log,
            ...(options.observe?.onInvoke && { onInvoke: options.observe.onInvoke }),
            ...(clock.fastForward && { fastForward: clock.fastForward }),
          },
        ),
      );
    }
    stops.push(async () => {
      await Promise.all([...functions.values()].map((fn) => fn.stop()));
    });
    // Stops run in reverse: the SES events under way reach their rule targets before the functions stop.
    stops.push(async () => {
      await sesEvents.settle();
      await eventBus.stop();
    });
    // Stops run in reverse: the executions leave the engine before the functions they call stop.
    stops.push(() => stepFunctions.stopExecutions());
    // Before the API serves: a move must find its restored execution waiting with its token.
    const restored = stepFunctions.restore();
    if (restored.restored > 0 || restored.orphaned > 0) {
      log(
        `restored ${restored.restored} workflow executions (${restored.resumed} running, resumed) in ${restored.milliseconds} ms` +
          (restored.orphaned > 0 ? `; ${restored.orphaned} of state machines no longer in the app left out` : ''),
      );
    }

    // Event source mappings: the table's stream feeds its functions (new leads start workflows).
    for (const mapping of options.eventSources === false ? [] : assembly.streamMappings) {
      const streamTable = assembly.tables.find((candidate) => candidate.logicalId === mapping.tableLogicalId);
      if (!streamTable) throw new Error(`${mapping.logicalId}: no table ${mapping.tableLogicalId} in ${STACK_NAME}`);
      const target = byLogicalId(mapping.functionLogicalId);
      const poller = await startStreamPoller({
        endpoint: dynamo.endpoint,
        tableName: streamTable.name,
        consumer: mapping.functionLogicalId,
        invoke: (event) => target.invoke(event),
        filterPatterns: mapping.filterPatterns,
        batchSize: mapping.batchSize,
        maxRetries: mapping.maxRetries,
        reportBatchItemFailures: mapping.reportBatchItemFailures,
        pollIntervalMs: 100,
        log,
        checkpointFile: options.inMemory ? undefined : path.join(checkpointDir, `${mapping.logicalId}.json`),
      });
      stops.push(() => poller.stop());
    }

    const schedules = startSchedules({
      timeScale,
      log,
      // A scaled 15-minute rate would fire several times a second: every 5 s is soon enough locally.
      minPeriodMs: 5_000,
      // Not while a fast-forward clock runs fast: a write lands some milliseconds after its function
      // dates it, virtual hours at that speed, so a scheduled aggregation would pass events still in
      // flight. The fast period is folded once it is over (an on-demand run, or the next firing).
      held: () => clock.fastForward !== undefined && clock.now() < clock.fastForward.until,
      rules: assembly.schedules.map((rule) => ({
        name: rule.logicalId,
        scheduleExpression: rule.scheduleExpression,
        invoke: () => Promise.all(rule.targets.map((target) => byLogicalId(target.functionLogicalId).invoke(target.input))),
      })),
    });
    stops.push(() => schedules.stop());

    const site = await startSite({ port: options.sitePort ?? 3001, apiUrl: apiServer.url });
    stops.push(() => site.close());
    const adminKey = await seed(dynamo.client, { tableName: table.name, siteUrl: site.url, adminKeyFile });
    const stateMachines = Object.fromEntries(assembly.stateMachines.map((machine) => [machine.constructId, machine.arn]));
    const control = await startControl({
      stepFunctions,
      stateMachines: assembly.stateMachines,
      triggerSchedule: (name) => schedules.trigger(name),
      sesFaults,
      sesEvents,
      eventBus,
      mailboxStoreUrl: ses.storeUrl,
      dynamoFaults,
      functionNames: [...functions.values()].map((fn) => functionConstructId(fn.spec)),
      recycleFunctions: () => {
        for (const fn of functions.values()) fn.recycle();
        return functions.size;
      },
      httpApi: apiServer,
      services: {
        dynamodb: { pid: () => dynamo.pid(), restarts: () => dynamo.restarts() },
        ses: {
          restarts: () => ses.restarts(),
          crash: () => {
            ses.crash();
          },
        },
      },
    });
    stops.push(() => control.close());

    log(`local cloud ready in ${secondsSince(started)}`);
    return {
      apiUrl: apiServer.url,
      siteUrl: site.url,
      dynamoEndpoint: dynamo.endpoint,
      tableName: table.name,
      adminKey,
      assemblyDir: assembly.dir,
      mailbox: { storeUrl: ses.storeUrl, uiUrl: ses.uiUrl },
      sesEndpoint: sesProxy.url,
      sfnEndpoint: sfnServer.endpoint,
      stateMachines,
      controlUrl: control.url,
      timeScale,
      clock,
      invoke: (name, event) => findFunction(functions, name).invoke(event),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The APIs share one local port: a route key served by two of them could not be told apart. */
function checkDisjointRoutes(apis: HttpApiSpec[]): void {
  const owners = new Map<string, string>();
  for (const api of apis) {
    for (const { routeKey } of api.routes) {
      const owner = owners.get(routeKey);
      if (owner)
        throw new Error(`route ${routeKey} is served by both ${owner} and ${api.logicalId}: the local cloud serves every API on one port`);
      owners.set(routeKey, api.logicalId);
    }
  }
}

function lifetimeFromEnvironment(): number | undefined {
  const text = process.env.LEADFLOW_EXECUTION_LIFETIME;
  if (text === undefined || text === '') return undefined;
  const seconds = durationSeconds(text);
  if (!(seconds > 0)) throw new Error(`LEADFLOW_EXECUTION_LIFETIME must be a positive ISO-8601 duration, not ${text}`);
  return seconds;
}

function secondsSince(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)} s`;
}

function findFunction(functions: Map<string, LocalFunction>, name: string): LocalFunction {
  const exact = functions.get(name);
  if (exact) return exact;
  const matches = [...functions.values()].filter((fn) => fn.spec.constructPath && `/${fn.spec.constructPath}/`.includes(`/${name}/`));
  const [only] = matches;
  if (only && matches.length === 1) return only;
  const known = [...functions.values()].map((fn) => fn.label).join(', ');
  throw new Error(
    matches.length === 0
      ? `no function ${name} (functions: ${known})`
      : `${name} names ${matches.length} functions: ${matches.map((fn) => fn.label).join(', ')}`,
  );
}
