/**
 * Local Step Functions (Standard): runs JSONPath ASL definitions with aws-local-stepfunctions 3.x
 * and adds what the library lacks (see step-functions-definition.ts for the rewrite):
 * - Task resources mapped to local handlers: `lambda:invoke`, function ARNs, optimized and
 *   AWS SDK integrations, each optionally `.waitForTaskToken`;
 * - task tokens (`$$.Task.Token`) with SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat;
 * - a time scale (86400 makes a day pass in a second) for Wait states, Task timeouts, Retry
 *   intervals and the execution timeout;
 * - execution bookkeeping (names unique per state machine, status, AWS-shaped history);
 * - the AWS JSON 1.0 protocol, so `@aws-sdk/client-sfn` (in Lambda workers through
 *   AWS_ENDPOINT_URL_SFN) talks to it as to AWS.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import {
  prepareDefinition,
  type Envelope,
  type Json,
  type JsonObject,
  type LocalState,
  type LocalTask,
  type LocalWait,
  type PreparedDefinition,
} from './step-functions-definition';

// aws-local-stepfunctions calls Promise.withResolvers (Node 22+) in every Task; on Node 20 each
// Task would throw a TypeError that a Catch on States.ALL silently swallows. The library only
// calls it while running, so defining it here, after the import, is early enough.
(Promise as unknown as { withResolvers?: unknown }).withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

export interface LocalStepFunctionsOptions {
  /**
   * Runs a Lambda function. A function error must reject with an Error whose `name` is the
   * function's errorType (or an object with `errorType`, `errorMessage`, `trace`): that name
   * becomes the Step Functions error, so Retry and Catch match it as on AWS.
   */
  invokeFunction: (functionNameOrArn: string, payload: unknown) => Promise<unknown>;
  /** How many AWS seconds pass in one real second (1 = real time, 86400 = a day per second). */
  timeScale: number;
  log?: (line: string) => void;
  /**
   * Handlers for service integrations, keyed `dynamodb:putItem` (optimized) or
   * `aws-sdk:sesv2:sendEmail` (AWS SDK). They receive the Parameters (PascalCase, as the SDK
   * command input) and return the response; an error named `ConditionalCheckFailedException`
   * becomes `DynamoDB.ConditionalCheckFailedException` (or `DynamoDb.` for aws-sdk:dynamodb),
   * a name that already contains a dot is kept.
   */
  sdkIntegrations?: Record<string, (params: unknown) => Promise<unknown>>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionListItem {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  /** Local addition: the state the execution last entered. */
  currentState?: string;
}

/** An AWS history event: `type` plus one `<type>EventDetails` field, e.g. `taskSucceededEventDetails`. */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

/** An error answered to API callers with AWS's `__type` (e.g. `ExecutionAlreadyExists`). */
export class SfnServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

interface Machine {
  name: string;
  arn: string;
  region: string;
  definition: string;
  prepared: PreparedDefinition;
  library: StateMachine;
  creationDate: Date;
}

interface Execution {
  arn: string;
  name: string;
  machine: Machine;
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  currentState?: string;
  /** Aborted when the execution ends, however it ends: releases its sleeps and token waits. */
  ended: AbortController;
  abortRun: () => void;
  /** Settles once the run is over and its history complete. */
  settled: Promise<void>;
}

interface TokenWaiter {
  execution: Execution;
  resolve: (output: Json) => void;
  reject: (error: Error) => void;
}

type LibraryEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** `$$.Task.Token` resolves to this in Parameters; the Task handler swaps in a fresh token. */
const TASK_TOKEN_PLACEHOLDER = 'local-sfn-task-token-placeholder';
const LOCAL_ROLE_ARN = 'arn:aws:iam::000000000000:role/local-step-functions';
const MAX_TIMER_MS = 2 ** 31 - 1;
const DEFAULT_PAGE_SIZE = 100;

/**
 * Errors thrown into the library: `name` is the Step Functions error name, `message` the cause.
 * The library reads `isRetryable`/`isCatchable` to honour Retry and Catch.
 */
class StatesError extends Error {
  constructor(
    name: string,
    cause: string,
    readonly isRetryable = true,
    readonly isCatchable = true,
  ) {
    super(cause);
    this.name = name;
  }
}

const runtimeError = (cause: string) => new StatesError('States.Runtime', cause, false, false);
const executionEnded = () => new StatesError('States.Runtime', 'the execution has ended', false, false);

export class LocalStepFunctions {
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, Execution>();
  private readonly waiters = new Map<string, TokenWaiter>();
  /** Tokens whose task is over: AWS answers TaskTimedOut for them, InvalidToken for unknown ones. */
  private readonly spentTokens = new Set<string>();
  private readonly servers = new Set<ReturnType<typeof createServer>>();
  private readonly log: (line: string) => void;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    if (!(options.timeScale > 0) || !Number.isFinite(options.timeScale)) {
      throw new RangeError(`timeScale must be a positive number, got ${options.timeScale}`);
    }
    this.log = options.log ?? (() => {});
  }

  /** Validates and registers a definition; throws UnsupportedDefinitionError naming each state and feature it cannot run faithfully. */
  createStateMachine({ name, arn, definition }: { name: string; arn: string; definition: unknown }): void {
    const prepared = prepareDefinition(definition, {
      timeScale: this.options.timeScale,
      integrations: new Set(Object.keys(this.options.sdkIntegrations ?? {})),
    });
    const original: unknown = typeof definition === 'string' ? JSON.parse(definition) : definition;
    // Structural validation (asl-validator) on the definition as written...
    new StateMachine(original as ConstructorParameters<typeof StateMachine>[0]);
    // ...then the rewrite, which uses fractional seconds the validator would refuse.
    const library = new StateMachine(prepared.definition as unknown as ConstructorParameters<typeof StateMachine>[0], {
      validationOptions: { noValidate: true },
    });
    const region = arn.split(':')[3] ?? 'us-east-1';
    this.machines.set(arn, {
      name,
      arn,
      region,
      definition: JSON.stringify(original),
      prepared,
      library,
      creationDate: this.machines.get(arn)?.creationDate ?? new Date(),
    });
  }

  startExecution({ stateMachineArn, name, input }: { stateMachineArn: string; name?: string; input?: unknown }): {
    executionArn: string;
    startDate: Date;
  } {
    const machine = this.machine(stateMachineArn);
    const inputText = input === undefined ? '{}' : typeof input === 'string' ? input : JSON.stringify(input);
    const inputValue = parseJson(inputText, 'InvalidExecutionInput', 'input');
    const executionName = name ?? randomUUID();
    if (!/^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/.test(executionName)) {
      throw new SfnServiceError('InvalidName', `Invalid Name: '${executionName}'`);
    }
    const arn = machine.arn.replace(':stateMachine:', ':execution:') + `:${executionName}`;
    const existing = this.executions.get(arn);
    if (existing) {
      // Standard workflows: the same name and input while running is the same execution.
      if (existing.status === 'RUNNING' && existing.input === inputText) {
        return { executionArn: arn, startDate: existing.startDate };
      }
      throw new SfnServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const execution: Execution = {
      arn,
      name: executionName,
      machine,
      input: inputText,
      status: 'RUNNING',
      startDate: new Date(),
      history: [],
      ended: new AbortController(),
      abortRun: () => {},
      settled: Promise.resolve(),
    };
    this.executions.set(arn, execution);
    this.run(execution, inputValue);
    return { executionArn: arn, startDate: execution.startDate };
  }

  describeExecution(executionArn: string): ExecutionDescription {
    const execution = this.execution(executionArn);
    return {
      executionArn: execution.arn,
      stateMachineArn: execution.machine.arn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      input: execution.input,
      ...(execution.stopDate && { stopDate: execution.stopDate }),
      ...(execution.output !== undefined && { output: execution.output }),
      ...(execution.error !== undefined && { error: execution.error }),
      ...(execution.cause !== undefined && { cause: execution.cause }),
    };
  }

  /** Newest first, like AWS. */
  listExecutions({ stateMachineArn, statusFilter }: { stateMachineArn: string; statusFilter?: ExecutionStatus }): ExecutionListItem[] {
    this.machine(stateMachineArn);
    return [...this.executions.values()]
      .filter((e) => e.machine.arn === stateMachineArn && (!statusFilter || e.status === statusFilter))
      .reverse()
      .map((e) => ({
        executionArn: e.arn,
        stateMachineArn: e.machine.arn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        ...(e.stopDate && { stopDate: e.stopDate }),
        ...(e.status === 'RUNNING' && e.currentState !== undefined && { currentState: e.currentState }),
      }));
  }

  /** AWS-shaped events in order; every `*StateEntered` event is one state transition. */
  getExecutionHistory(executionArn: string): HistoryEvent[] {
    return [...this.execution(executionArn).history];
  }

  stopExecution(executionArn: string, { error, cause }: { error?: string; cause?: string } = {}): { stopDate: Date } {
    const execution = this.execution(executionArn);
    if (execution.status === 'RUNNING') {
      this.end(execution, {
        status: 'ABORTED',
        ...(error !== undefined && { error }),
        ...(cause !== undefined && { cause }),
      });
      execution.abortRun();
    }
    return { stopDate: execution.stopDate ?? new Date() };
  }

  sendTaskSuccess(taskToken: string, output: string): void {
    const value = parseJson(output, 'InvalidOutput', 'output');
    this.takeWaiter(taskToken).resolve(value);
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    this.takeWaiter(taskToken).reject(new StatesError(error ?? '', cause ?? ''));
  }

  /** There is no HeartbeatSeconds locally (definitions using it are rejected): only the token is checked. */
  sendTaskHeartbeat(taskToken: string): void {
    this.waiter(taskToken);
  }

  /** Aborts running executions, releases their timers and token waits, and closes the HTTP servers. */
  async stop(): Promise<void> {
    for (const execution of this.executions.values()) {
      if (execution.status === 'RUNNING') this.stopExecution(execution.arn, { cause: 'local Step Functions stopped' });
    }
    await Promise.all([...this.executions.values()].map((execution) => execution.settled));
    await Promise.all(
      [...this.servers].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    this.servers.clear();
  }

  /** Serves the AWS JSON 1.0 protocol on 127.0.0.1 (port 0 picks a free port). */
  async listen(port = 0): Promise<{ endpoint: string; close: () => Promise<void> }> {
    const server = createServer((req, res) => void this.handleHttpRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    this.servers.add(server);
    const { port: bound } = server.address() as AddressInfo;
    return {
      endpoint: `http://127.0.0.1:${bound}`,
      close: () =>
        new Promise<void>((resolve) => {
          this.servers.delete(server);
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  /** `POST /` with `X-Amz-Target: AWSStepFunctions.<Action>`, as sent by @aws-sdk/client-sfn. */
  async handleHttpRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(body));
    };
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (req.method !== 'POST' || !target.startsWith('AWSStepFunctions.')) {
        throw new SfnServiceError('UnknownOperationException', `unsupported request ${req.method} ${target}`);
      }
      const body = await readBody(req);
      const params = body ? parseJson(body, 'SerializationException', 'request body') : {};
      reply(200, toWire(this.dispatch(target.slice('AWSStepFunctions.'.length), isObject(params) ? params : {})));
    } catch (error) {
      if (error instanceof SfnServiceError) {
        reply(400, { __type: error.type, message: error.message });
        return;
      }
      this.log(`sfn: internal error ${(error as Error).stack ?? String(error)}`);
      reply(500, { __type: 'InternalFailure', message: 'internal error' });
    }
  }

  private dispatch(action: string, p: JsonObject): unknown {
    const str = (key: string): string => {
      const value = p[key];
      if (typeof value !== 'string' || value === '') throw new SfnServiceError('ValidationException', `${key} is required`);
      return value;
    };
    const optional = (key: string): string | undefined => (typeof p[key] === 'string' ? p[key] : undefined);
    switch (action) {
      case 'StartExecution': {
        const name = optional('name');
        return this.startExecution({
          stateMachineArn: str('stateMachineArn'),
          input: optional('input') ?? '{}',
          ...(name !== undefined && { name }),
        });
      }
      case 'DescribeExecution':
        return this.describeExecution(str('executionArn'));
      case 'ListExecutions': {
        const statusFilter = optional('statusFilter') as ExecutionStatus | undefined;
        const { items, nextToken } = page(
          this.listExecutions({ stateMachineArn: str('stateMachineArn'), ...(statusFilter && { statusFilter }) }),
          p,
        );
        return { executions: items, ...(nextToken && { nextToken }) };
      }
      case 'GetExecutionHistory': {
        const events = this.getExecutionHistory(str('executionArn'));
        const { items, nextToken } = page(p.reverseOrder === true ? events.reverse() : events, p);
        return { events: items, ...(nextToken && { nextToken }) };
      }
      case 'StopExecution': {
        const error = optional('error');
        const cause = optional('cause');
        return this.stopExecution(str('executionArn'), { ...(error !== undefined && { error }), ...(cause !== undefined && { cause }) });
      }
      case 'SendTaskSuccess':
        this.sendTaskSuccess(str('taskToken'), str('output'));
        return {};
      case 'SendTaskFailure':
        this.sendTaskFailure(str('taskToken'), optional('error'), optional('cause'));
        return {};
      case 'SendTaskHeartbeat':
        this.sendTaskHeartbeat(str('taskToken'));
        return {};
      case 'DescribeStateMachine': {
        const machine = this.machine(str('stateMachineArn'));
        return {
          stateMachineArn: machine.arn,
          name: machine.name,
          status: 'ACTIVE',
          definition: machine.definition,
          roleArn: LOCAL_ROLE_ARN,
          type: 'STANDARD',
          creationDate: machine.creationDate,
        };
      }
      case 'ListStateMachines':
        return {
          stateMachines: [...this.machines.values()].map((m) => ({
            stateMachineArn: m.arn,
            name: m.name,
            type: 'STANDARD',
            creationDate: m.creationDate,
          })),
        };
      default:
        throw new SfnServiceError('UnknownOperationException', `${action} is not supported by the local Step Functions`);
    }
  }

  private run(execution: Execution, input: Json): void {
    const { machine } = execution;
    const handlers: Record<string, (envelope: Json) => Promise<Json>> = {};
    for (const state of machine.prepared.states.values()) {
      if (state.type === 'Task') handlers[state.name] = (envelope) => this.runTask(execution, state, envelope as unknown as Envelope);
      if (state.type === 'Wait') handlers[state.name] = (envelope) => this.runWait(execution, state, envelope as unknown as Envelope);
    }
    const run = machine.library.run(input as Parameters<StateMachine['run']>[0], {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: {
        Execution: { Id: execution.arn, Name: execution.name, RoleArn: LOCAL_ROLE_ARN },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      },
    });
    execution.abortRun = run.abort;
    const history = this.recordHistory(execution, run.eventLogs);
    // The final status waits for the last history event, so a caller never sees SUCCEEDED without it.
    execution.settled = Promise.allSettled([run.result, history]).then(([result]) => {
      if (result.status === 'fulfilled') {
        this.end(execution, { status: 'SUCCEEDED', output: JSON.stringify(result.value) });
      } else {
        this.end(execution, failureOf(result.reason));
      }
    });
  }

  private end(execution: Execution, outcome: Pick<Execution, 'status' | 'output' | 'error' | 'cause'>): void {
    if (execution.status !== 'RUNNING') return;
    Object.assign(execution, outcome, { stopDate: new Date() });
    execution.ended.abort();
    for (const [token, waiter] of this.waiters) {
      if (waiter.execution === execution) this.spendToken(token);
    }
    const reason = execution.error ? ` ${execution.error}` : '';
    this.log(`sfn ${execution.machine.name}/${execution.name} ${execution.status}${reason}`);
  }

  private async runTask(execution: Execution, task: LocalTask, envelope: Envelope): Promise<Json> {
    // The library retries after its own abort; nothing must be invoked for an ended execution.
    if (execution.ended.signal.aborted) throw executionEnded();
    const timeoutMs = this.taskTimeoutMs(task, envelope);
    return task.waitForTaskToken
      ? this.waitForToken(execution, task, envelope.input, timeoutMs)
      : withDeadline(this.callTarget(task, envelope.input), timeoutMs, execution.ended.signal);
  }

  /**
   * A callback task waits for people or other systems: business time, scaled. Any other task
   * waits for compute, which runs at real speed: its timeout is not scaled, or a 30 s Lambda
   * timeout would cut every invocation at a time scale of 86400.
   */
  private taskTimeoutMs(task: LocalTask, envelope: Envelope): number | undefined {
    const seconds = task.hasTimeoutPath ? envelope.timeoutSeconds : task.timeoutSeconds;
    if (seconds === undefined) return undefined;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) {
      throw runtimeError(`TimeoutSecondsPath of state ${task.name} must select a positive integer`);
    }
    return (seconds * 1000) / (task.waitForTaskToken ? this.options.timeScale : 1);
  }

  /**
   * The callback pattern: mint a token, hand it to the target, wait for SendTaskSuccess/Failure.
   * However the task ends (answer, target error, timeout, end of the execution), the token is spent.
   */
  private async waitForToken(execution: Execution, task: LocalTask, input: Json, timeoutMs: number | undefined): Promise<Json> {
    const token = randomBytes(48).toString('base64url');
    // The target may call SendTaskSuccess before it returns, so the waiter exists first.
    const outcome = new Promise<Json>((resolve, reject) => {
      this.waiters.set(token, { execution, resolve, reject });
    });
    const invoked = this.callTarget(task, withToken(input, token));
    try {
      return await withDeadline(
        Promise.race([invoked, outcome]).then(() => outcome),
        timeoutMs,
        execution.ended.signal,
      );
    } finally {
      this.spendToken(token);
    }
  }

  private async callTarget(task: LocalTask, input: Json): Promise<Json> {
    const { target } = task;
    switch (target.kind) {
      case 'lambda-function':
        return toJson(await this.invoke(target.functionArn, input));
      case 'lambda-invoke': {
        const params = isObject(input) ? input : {};
        if (typeof params.FunctionName !== 'string') throw runtimeError(`state ${task.name}: Parameters.FunctionName is required`);
        const payload = 'Payload' in params ? (params.Payload ?? null) : {};
        if (params.InvocationType === 'Event') {
          this.invoke(params.FunctionName, payload).catch((error: unknown) =>
            this.log(`sfn: async invoke of ${params.FunctionName} failed: ${(error as Error).name}`),
          );
          return lambdaInvokeResult(202, '');
        }
        return lambdaInvokeResult(200, toJson(await this.invoke(params.FunctionName, payload)));
      }
      case 'integration': {
        const handler = this.options.sdkIntegrations?.[target.key];
        if (!handler) throw runtimeError(`no local handler for ${target.key}`);
        try {
          const { $metadata: _metadata, ...response } = ((await handler(input)) ?? {}) as Record<string, unknown>;
          return toJson(response);
        } catch (error) {
          throw integrationError(error, target.errorPrefix, target.appendExceptionSuffix);
        }
      }
    }
  }

  private async invoke(functionName: string, payload: Json): Promise<unknown> {
    try {
      return await this.options.invokeFunction(functionName, payload);
    } catch (error) {
      throw functionError(error);
    }
  }

  private async runWait(execution: Execution, wait: LocalWait, envelope: Envelope): Promise<Json> {
    if (execution.ended.signal.aborted) throw executionEnded();
    await sleep(this.waitMs(wait, envelope), execution.ended.signal);
    return envelope.input;
  }

  private waitMs(wait: LocalWait, envelope: Envelope): number {
    const seconds = wait.seconds ?? envelope.seconds;
    if (seconds !== undefined) {
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw runtimeError(`SecondsPath of state ${wait.name} must select a non-negative integer`);
      }
      return (seconds * 1000) / this.options.timeScale;
    }
    const timestamp = wait.timestamp ?? envelope.timestamp;
    const at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
    if (Number.isNaN(at)) throw runtimeError(`TimestampPath of state ${wait.name} must select an RFC 3339 timestamp`);
    return Math.max(0, at - Date.now()) / this.options.timeScale;
  }

  private async recordHistory(execution: Execution, events: AsyncGenerator<LibraryEvent>): Promise<void> {
    const caught = new Set<string>();
    for await (const event of events) {
      for (const [type, details] of this.awsEvents(execution, event, caught)) {
        const id = execution.history.length + 1;
        execution.history.push({ id, previousEventId: id - 1, timestamp: new Date(event.timestamp), type, ...details });
      }
    }
  }

  /** Translates one library event into AWS history events. */
  private awsEvents(execution: Execution, event: LibraryEvent, caught: Set<string>): Array<[string, Record<string, unknown>?]> {
    switch (event.type) {
      case 'ExecutionStarted':
        return [['ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(event.input), roleArn: LOCAL_ROLE_ARN } }]];
      case 'ExecutionSucceeded':
        return [['ExecutionSucceeded', { executionSucceededEventDetails: { output: JSON.stringify(event.output) } }]];
      case 'ExecutionFailed':
        return [['ExecutionFailed', { executionFailedEventDetails: failureDetails(event) }]];
      case 'ExecutionAborted':
        return [['ExecutionAborted', { executionAbortedEventDetails: { error: execution.error, cause: execution.cause } }]];
      case 'ExecutionTimeout':
        return [['ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } }]];
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const detailsKey = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`;
        return [[event.type, { [detailsKey]: { name: event.parentState.name, index: event.index } }]];
      }
      case 'StateEntered':
      case 'StateExited':
      case 'StateFailed':
      case 'StateRetried':
      case 'StateCaught':
        return this.stateEvents(execution, event, caught);
      default:
        // ParallelBranch* have no AWS counterpart.
        return [];
    }
  }

  private stateEvents(
    execution: Execution,
    event: Extract<LibraryEvent, { state: unknown }>,
    caught: Set<string>,
  ): Array<[string, Record<string, unknown>?]> {
    const state: LocalState | undefined = execution.machine.prepared.states.get(event.state.name);
    if (!state) return [];
    const key = `${state.name}#${event.index ?? ''}`;
    const task = state.type === 'Task' ? state : undefined;
    const taskDetails = task && { resourceType: task.resourceType, resource: task.resourceName };
    const lambdaArn = task?.target.kind === 'lambda-function';
    const region = execution.machine.region;
    switch (event.type) {
      case 'StateEntered': {
        execution.currentState = state.name;
        caught.delete(key);
        const entered: [string, Record<string, unknown>] = [
          `${state.type}StateEntered`,
          { stateEnteredEventDetails: { name: state.name, input: JSON.stringify(event.state.input) } },
        ];
        if (task) return [entered, ...scheduled(task, region)];
        if (state.type === 'Map' || state.type === 'Parallel') return [entered, [`${state.type}StateStarted`]];
        return [entered];
      }
      case 'StateRetried':
        return task ? scheduled(task, region) : [];
      case 'StateCaught':
        caught.add(key);
        return [];
      case 'StateFailed': {
        const failure = failureDetails(event);
        if (task) {
          const timedOut = event.Error === 'States.Timeout';
          if (lambdaArn) {
            const type = timedOut ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed';
            return [[type, { [`${lowerFirst(type)}EventDetails`]: failure }]];
          }
          const type = timedOut ? 'TaskTimedOut' : 'TaskFailed';
          return [[type, { [`${lowerFirst(type)}EventDetails`]: { ...taskDetails, ...failure } }]];
        }
        if (state.type === 'Map' || state.type === 'Parallel') return [[`${state.type}StateFailed`]];
        return [];
      }
      case 'StateExited': {
        const output = JSON.stringify(event.state.output);
        const exited: [string, Record<string, unknown>] = [
          `${state.type}StateExited`,
          { stateExitedEventDetails: { name: state.name, output } },
        ];
        if (caught.has(key)) return [exited];
        if (task && lambdaArn) return [['LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output } }], exited];
        if (task) return [['TaskSucceeded', { taskSucceededEventDetails: { ...taskDetails, output } }], exited];
        if (state.type === 'Map' || state.type === 'Parallel') return [[`${state.type}StateSucceeded`], exited];
        return [exited];
      }
    }
  }

  private machine(arn: string): Machine {
    const machine = this.machines.get(arn);
    if (!machine) throw new SfnServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(arn: string): Execution {
    const execution = this.executions.get(arn);
    if (!execution) throw new SfnServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private waiter(token: string): TokenWaiter {
    const waiter = this.waiters.get(token);
    if (waiter) return waiter;
    if (this.spentTokens.has(token)) {
      throw new SfnServiceError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    throw new SfnServiceError('InvalidToken', 'Invalid Token');
  }

  /** A token answers once: the second SendTask* with it gets TaskTimedOut, as on AWS. */
  private takeWaiter(token: string): TokenWaiter {
    const waiter = this.waiter(token);
    this.spendToken(token);
    return waiter;
  }

  private spendToken(token: string): void {
    this.waiters.delete(token);
    this.spentTokens.add(token);
  }
}

function scheduled(task: LocalTask, region: string): Array<[string, Record<string, unknown>]> {
  if (task.target.kind === 'lambda-function') {
    return [
      ['LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: { resource: task.resource } }],
      ['LambdaFunctionStarted'],
    ] as Array<[string, Record<string, unknown>]>;
  }
  const details = { resourceType: task.resourceType, resource: task.resourceName };
  return [
    ['TaskScheduled', { taskScheduledEventDetails: { ...details, region } }],
    ['TaskStarted', { taskStartedEventDetails: details }],
  ];
}

function failureOf(reason: unknown): Pick<Execution, 'status' | 'error' | 'cause'> {
  if (reason instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout' };
  if (reason instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  if (reason instanceof ExecutionError && reason.cause instanceof Error) {
    return { status: 'FAILED', error: reason.cause.name, cause: reason.cause.message };
  }
  return { status: 'FAILED', error: 'States.Runtime', cause: String(reason) };
}

/** As Step Functions reports a function error: Error = errorType, Cause = the error document. */
function functionError(error: unknown): StatesError {
  const document = isObject(error as Json)
    ? (error as { errorType?: unknown; errorMessage?: unknown; trace?: unknown; name?: unknown; message?: unknown; stack?: unknown })
    : {};
  const errorType = String(document.errorType ?? document.name ?? 'Lambda.Unknown');
  const errorMessage = String(document.errorMessage ?? document.message ?? '');
  const trace = Array.isArray(document.trace)
    ? document.trace
    : typeof document.stack === 'string'
      ? document.stack.split('\n')
      : [];
  return new StatesError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

function failureDetails(event: { Error: string; Cause: unknown }): { error: string; cause: string } {
  return { error: event.Error, cause: typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause) };
}

function integrationError(error: unknown, prefix: string, appendExceptionSuffix: boolean): StatesError {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (name.includes('.')) return new StatesError(name, message);
  const suffix = appendExceptionSuffix && !name.endsWith('Exception') ? 'Exception' : '';
  return new StatesError(`${prefix}.${name}${suffix}`, message);
}

function lambdaInvokeResult(statusCode: number, payload: Json): Json {
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: { HttpStatusCode: statusCode },
    SdkResponseMetadata: { RequestId: randomUUID() },
    StatusCode: statusCode,
  };
}

function withToken(value: Json, token: string): Json {
  if (typeof value === 'string') return value.replaceAll(TASK_TOKEN_PLACEHOLDER, token);
  if (Array.isArray(value)) return value.map((item) => withToken(item, token));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withToken(v, token)]));
  return value;
}

/** Results go through JSON so Dates and class instances from SDK responses become plain JSON. */
function toJson(value: unknown): Json {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

function parseJson(text: string, errorType: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new SfnServiceError(errorType, `Invalid ${what}: not valid JSON`);
  }
}

/** Sleeps `ms` (any length: long waits are re-armed below setTimeout's limit); rejects when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(executionEnded());
    const due = Date.now() + ms;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(executionEnded());
    };
    const arm = () => {
      const left = due - Date.now();
      if (left > 0) {
        timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
        return;
      }
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(ms)) arm();
  });
}

/** Races `work` against a States.Timeout after `timeoutMs` (none when undefined) and the end of the execution. */
async function withDeadline<T>(work: Promise<T>, timeoutMs: number | undefined, ended: AbortSignal): Promise<T> {
  const done = new AbortController();
  const deadline = sleep(timeoutMs ?? Number.POSITIVE_INFINITY, AbortSignal.any([ended, done.signal])).then(() => {
    throw new StatesError('States.Timeout', 'The task timed out');
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    done.abort();
    deadline.catch(() => {});
  }
}

function page<T>(items: T[], params: JsonObject): { items: T[]; nextToken?: string } {
  const start = typeof params.nextToken === 'string' ? Number.parseInt(params.nextToken, 10) || 0 : 0;
  const size = typeof params.maxResults === 'number' && params.maxResults > 0 ? Math.min(params.maxResults, 1000) : DEFAULT_PAGE_SIZE;
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length && { nextToken: String(end) }) };
}

/** JSON 1.0 sends timestamps as epoch seconds. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toWire(v)]));
  }
  return value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
