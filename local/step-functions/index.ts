/**
 * Local Step Functions (Standard): runs JSONPath ASL definitions with aws-local-stepfunctions 3.x
 * and adds what the library lacks (see ../step-functions-definition.ts for the rewrite):
 * - Task resources mapped to local handlers (task-targets.ts);
 * - task tokens with SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat (task-tokens.ts);
 * - a time scale (86400 makes a day pass in a second) for Wait states, Task timeouts, Retry
 *   intervals and the execution timeout (engine.ts);
 * - execution bookkeeping and AWS-shaped history (executions.ts, history.ts);
 * - the AWS JSON 1.0 protocol for `@aws-sdk/client-sfn` (protocol.ts);
 * - with a store directory, executions that survive a restart: every execution is journaled with
 *   its history and checkpoint (store.ts), and `restore` takes the running ones up where they were;
 * - Standard's maximum duration (a year of workflow time): a longer execution ends TIMED_OUT.
 */
import { SfnServiceError } from './errors';
import { randomUUID } from 'node:crypto';
import type { LocalClock } from '../clock';
import { listen, type RunningServer } from '../listen';
import { compileDefinition, Engine } from './engine';
import {
  Executions,
  storedOf,
  type ExecutionDescription,
  type ExecutionListItem,
  type ExecutionStatus,
  type HistoryEvent,
} from './executions';
import { parseJson } from './json';
import { createSfnServer, type SfnApi } from './protocol';
import { TaskTargets } from './task-targets';
import { TaskTokens } from './task-tokens';
import { ExecutionStore } from './store';

/** Standard workflows run at most a year. */
export const STANDARD_LIFETIME_SECONDS = 365 * 24 * 3600;

export interface LocalStepFunctionsOptions {
  /**
   * Runs a Lambda function. A function error must reject with an Error whose `name` is the
   * function's errorType (or an object with `errorType`, `errorMessage`, `trace`): that name
   * becomes the Step Functions error, so Retry and Catch match it as on AWS.
   */
  invokeFunction: (functionNameOrArn: string, payload: unknown) => Promise<unknown>;
  /** How many AWS seconds pass in one real second (1 = real time, 86400 = a day per second). */
  timeScale: number;
  /** Business time for waits and callback timeouts (local/clock.ts), when it is not real time scaled by `timeScale`. */
  clock?: LocalClock;
  log?: (line: string) => void;
  /**
   * Handlers for service integrations, keyed `dynamodb:putItem` (optimized) or
   * `aws-sdk:sesv2:sendEmail` (AWS SDK). They receive the Parameters (PascalCase, as the SDK
   * command input) and return the response; an error named `ConditionalCheckFailedException`
   * becomes `DynamoDB.ConditionalCheckFailedException` (or `DynamoDb.` for aws-sdk:dynamodb),
   * a name that already contains a dot is kept.
   */
  sdkIntegrations?: Record<string, (params: unknown) => Promise<unknown>>;
  /** Where executions persist (a directory); without it they live in memory and a stop aborts them. */
  storeDir?: string;
  /** The maximum duration of an execution in wall-clock seconds (not scaled). Default a year, as on AWS. */
  lifetimeSeconds?: number;
}

export interface RestoreReport {
  /** Executions read back, ended ones included. */
  restored: number;
  /** RUNNING executions taken up again. */
  resumed: number;
  /** Stored executions of a state machine that no longer exists (left out). */
  orphaned: number;
  milliseconds: number;
}

export class LocalStepFunctions implements SfnApi {
  private readonly executions = new Executions();
  private readonly tokens = new TaskTokens();
  private readonly engine: Engine;
  private readonly servers = new Set<RunningServer>();
  private readonly log: (line: string) => void;
  private readonly store: ExecutionStore | undefined;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    if (!(options.timeScale > 0) || !Number.isFinite(options.timeScale)) {
      throw new RangeError(`timeScale must be a positive number, got ${options.timeScale}`);
    }
    const lifetimeSeconds = options.lifetimeSeconds ?? STANDARD_LIFETIME_SECONDS;
    if (!(lifetimeSeconds > 0)) throw new RangeError(`lifetimeSeconds must be a positive number, got ${lifetimeSeconds}`);
    this.log = options.log ?? (() => {});
    this.store =
      options.storeDir === undefined
        ? undefined
        : new ExecutionStore({ dir: options.storeDir, log: this.log, current: () => this.executions.all().map(storedOf) });
    const { store } = this;
    this.engine = new Engine({
      timeScale: options.timeScale,
      ...(options.clock && { clock: options.clock }),
      targets: new TaskTargets({ invokeFunction: options.invokeFunction, sdkIntegrations: options.sdkIntegrations, log: this.log }),
      tokens: this.tokens,
      log: this.log,
      lifetimeSeconds,
      ...(store && {
        journal: (record) => {
          store.append(record);
        },
      }),
    });
  }

  /**
   * Reads the stored executions back (call once, after every state machine is created and before
   * anything can start or answer executions) and resumes the RUNNING ones where they stopped.
   */
  restore(): RestoreReport {
    const started = performance.now();
    const report: RestoreReport = { restored: 0, resumed: 0, orphaned: 0, milliseconds: 0 };
    if (!this.store) return report;
    const stored = this.store.load().sort((a, b) => a.startDate - b.startDate);
    const running = [];
    for (const item of stored) {
      let machine;
      try {
        machine = this.executions.machine(item.machineArn);
      } catch {
        report.orphaned++;
        continue;
      }
      const execution = this.executions.restore(machine, item);
      report.restored++;
      if (execution.status === 'RUNNING') running.push(execution);
    }
    for (const execution of running) this.engine.resume(execution);
    report.resumed = running.length;
    report.milliseconds = Math.round(performance.now() - started);
    return report;
  }

  /** Validates and registers a definition; throws UnsupportedDefinitionError naming each state and feature it cannot run faithfully. */
  createStateMachine({ name, arn, definition }: { name: string; arn: string; definition: unknown }): void {
    const compiled = compileDefinition(definition, {
      timeScale: this.options.timeScale,
      integrations: new Set(Object.keys(this.options.sdkIntegrations ?? {})),
    });
    this.executions.putMachine({ name, arn, region: arn.split(':')[3] ?? 'us-east-1', ...compiled });
  }

  startExecution({ stateMachineArn, name, input }: { stateMachineArn: string; name?: string; input?: unknown }): {
    executionArn: string;
    startDate: Date;
  } {
    const machine = this.executions.machine(stateMachineArn);
    const inputText = input === undefined ? '{}' : typeof input === 'string' ? input : JSON.stringify(input);
    const inputValue = parseJson(inputText, 'InvalidExecutionInput', 'input');
    const { execution, created } = this.executions.open(machine, name ?? randomUUID(), inputText);
    if (created) this.engine.run(execution, inputValue);
    return { executionArn: execution.arn, startDate: execution.startDate };
  }

  describeExecution(executionArn: string): ExecutionDescription {
    return this.executions.describe(executionArn);
  }

  /** Newest first, like AWS; running executions carry their current state. */
  listExecutions(params: { stateMachineArn: string; statusFilter?: ExecutionStatus }): ExecutionListItem[] {
    return this.executions.list(params);
  }

  getExecutionHistory(executionArn: string): HistoryEvent[] {
    return this.executions.history(executionArn);
  }

  stopExecution(executionArn: string, { error, cause }: { error?: string; cause?: string } = {}): { stopDate: Date } {
    const execution = this.executions.execution(executionArn);
    this.engine.abort(execution, { ...(error !== undefined && { error }), ...(cause !== undefined && { cause }) });
    return { stopDate: execution.stopDate ?? new Date() };
  }

  /** Fault injection (tests): the next `count` SendTaskSuccess calls answer ThrottlingException, as a throttled AWS API would. */
  failTaskSuccesses(count: number): void {
    this.taskSuccessFaults = count;
  }

  /** SendTaskSuccess calls answered with an injected fault so far. */
  taskSuccessesFailed = 0;
  private taskSuccessFaults = 0;

  sendTaskSuccess(taskToken: string, output: string): void {
    if (this.taskSuccessFaults > 0) {
      this.taskSuccessFaults -= 1;
      this.taskSuccessesFailed += 1;
      throw new SfnServiceError('ThrottlingException', 'Rate exceeded (fault injected by the local cloud)');
    }
    this.tokens.succeed(taskToken, output);
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    this.tokens.fail(taskToken, error, cause);
  }

  sendTaskHeartbeat(taskToken: string): void {
    this.tokens.heartbeat(taskToken);
  }

  /**
   * Takes every running execution off the engine (suspended with a store, aborted without one).
   * Call it before the functions stop, or a task in flight would fail on the stopping function.
   */
  async stopExecutions(): Promise<void> {
    const executions = this.executions.all();
    for (const execution of executions) {
      if (execution.status !== 'RUNNING' || execution.suspended) continue;
      if (this.store) this.engine.suspend(execution);
      else this.stopExecution(execution.arn, { cause: 'local Step Functions stopped' });
    }
    await Promise.all(executions.map((execution) => execution.settled));
  }

  /**
   * Releases the running executions' timers and token waits and closes the HTTP servers. With a
   * store the executions stay RUNNING there, to be resumed by the next `restore`; without one they
   * are aborted.
   */
  async stop(): Promise<void> {
    await this.stopExecutions();
    await this.store?.close();
    await Promise.all([...this.servers].map((server) => server.close()));
    this.servers.clear();
  }

  /** Serves the AWS JSON 1.0 protocol on 127.0.0.1 (port 0 picks a free port). */
  async listen(port = 0): Promise<{ endpoint: string; close: () => Promise<void> }> {
    const server = await listen(createSfnServer(this, this.log), port, 'local Step Functions');
    this.servers.add(server);
    return {
      endpoint: server.url,
      close: () => {
        this.servers.delete(server);
        return server.close();
      },
    };
  }
}
