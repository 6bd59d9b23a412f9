/**
 * Runs executions with aws-local-stepfunctions. The rewritten definition hands every Task and
 * Wait to the handlers here, which apply the time scale, the Task timeouts and the callback
 * pattern, and record each execution's end once, however it ends.
 */
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import {
  prepareDefinition,
  type Envelope,
  type Json,
  type JsonObject,
  type LocalTask,
  type LocalWait,
  type PrepareOptions,
} from '../step-functions-definition';
import { executionEnded, runtimeError } from './errors';
import { LOCAL_ROLE_ARN, type Execution, type ExecutionOutcome, type Machine } from './executions';
import { recordHistory } from './history';
import type { LocalClock } from '../clock';
import type { Checkpoint, JournalRecord } from './store';
import type { TaskTargets } from './task-targets';
import { TASK_TOKEN_PLACEHOLDER, withToken, type TaskTokens } from './task-tokens';
import { sleep, withDeadline } from './timers';

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

type LibraryDefinition = ConstructorParameters<typeof StateMachine>[0];

/** Validates a definition and builds what runs it; throws UnsupportedDefinitionError naming each state and feature it cannot run faithfully. */
export function compileDefinition(
  definition: unknown,
  options: PrepareOptions,
): Pick<Machine, 'prepared' | 'library' | 'runnable' | 'resumeAt'> {
  const prepared = prepareDefinition(definition, options);
  const original: unknown = typeof definition === 'string' ? JSON.parse(definition) : definition;
  // Structural validation (asl-validator) on the definition as written...
  new StateMachine(original as LibraryDefinition);
  // ...then the rewrite, which uses fractional seconds the validator would refuse.
  const runnable = withOwnExecutionContext(prepared.definition) as JsonObject;
  const library = new StateMachine(runnable as unknown as LibraryDefinition, { validationOptions: { noValidate: true } });
  return { prepared, library, runnable, resumeAt: new Map() };
}

/**
 * The library sets `$$.Execution.StartTime` to the moment its run starts and `$$.Execution.Input`
 * to the run's input, which for a resumed execution are the restart and the checkpoint's input.
 * Paths to them read fields of the context that the engine fills with the execution's own values.
 */
const OWN_CONTEXT_FIELDS = /\$\$\.Execution\.(StartTime|Input)(?![\w])/g;
const ownField = (field: string) => `LocalExecution${field}`;

function withOwnExecutionContext(value: Json): Json {
  if (typeof value === 'string') return value.replace(OWN_CONTEXT_FIELDS, (_match, field: string) => `$$.Execution.${ownField(field)}`);
  if (Array.isArray(value)) return value.map(withOwnExecutionContext);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withOwnExecutionContext(item)]));
  }
  return value;
}

/** Journals what a restart needs; absent when nothing persists (DynamoDB in memory). */
export type Journal = (record: JournalRecord) => void;

export interface EngineOptions {
  timeScale: number;
  /** Business time (local/clock.ts): waits and callback timeouts run on it; default real time scaled by `timeScale`. */
  clock?: LocalClock;
  targets: TaskTargets;
  tokens: TaskTokens;
  log: (line: string) => void;
  /** Standard's maximum duration, in seconds of workflow time (scaled like every wait). */
  lifetimeSeconds: number;
  journal?: Journal;
}

export class Engine {
  constructor(private readonly options: EngineOptions) {}

  /** Starts a new execution. */
  run(execution: Execution, input: Json): void {
    this.options.journal?.({
      t: 'start',
      arn: execution.arn,
      name: execution.name,
      machineArn: execution.machine.arn,
      input: execution.input,
      startDate: execution.startDate.getTime(),
    });
    this.execute(execution, execution.machine.library, input);
  }

  /**
   * Takes up a RUNNING execution restored from the store where it was: the library cannot start
   * mid-machine, so the definition runs from the checkpointed top-level state with its input. A
   * Wait keeps its deadline, a callback task its token (its target is not invoked again) and its
   * timeout; any other task runs again (at least once, as after a host failure on AWS).
   */
  resume(execution: Execution): void {
    const { machine } = execution;
    const checkpoint = execution.checkpoint ?? { state: machine.runnable.StartAt as string, input: JSON.parse(execution.input) as unknown };
    const state = machine.prepared.states.get(checkpoint.state);
    const topLevel = Object.hasOwn(machine.runnable.States as JsonObject, checkpoint.state);
    if (!state || !topLevel || state.type === 'Parallel' || state.type === 'Map') {
      const where = !state
        ? 'a state the definition no longer has'
        : !topLevel
          ? 'a state inside a Parallel or Map'
          : `a ${state.type} state`;
      this.end(execution, {
        status: 'FAILED',
        error: 'States.Runtime',
        cause: `the local cloud cannot resume this execution after a restart: it stopped in ${checkpoint.state}, ${where}`,
      });
      return;
    }
    let library = machine.resumeAt.get(checkpoint.state);
    if (!library) {
      // The execution's lifetime is the engine's (armLifetime), counted from the original start, not from the resume.
      const { TimeoutSeconds: _timeout, ...definition } = machine.runnable;
      library = new StateMachine({ ...definition, StartAt: checkpoint.state } as unknown as LibraryDefinition, {
        validationOptions: { noValidate: true },
      });
      machine.resumeAt.set(checkpoint.state, library);
    }
    const takenUp = (state.type === 'Wait' && checkpoint.dueAt !== undefined) || (state.type === 'Task' && checkpoint.token !== undefined);
    // Only a Task or a Wait handler takes the resume up; a Choice or Pass just runs again.
    if (state.type === 'Task' || state.type === 'Wait')
      execution.resume = {
        ...checkpoint,
        // Registered now, before any request can answer with the token.
        ...(state.type === 'Task' && checkpoint.token !== undefined && { answer: this.options.tokens.adopt(execution, checkpoint.token) }),
      };
    this.execute(execution, library, checkpoint.input as Json, { ...(takenUp && { reentered: checkpoint.state }) });
  }

  private execute(execution: Execution, library: StateMachine, input: Json, resumed?: { reentered?: string }): void {
    const { machine } = execution;
    const handlers: Record<string, (envelope: Json) => Promise<Json>> = {};
    for (const state of machine.prepared.states.values()) {
      if (state.type === 'Task') handlers[state.name] = (envelope) => this.runTask(execution, state, envelope as unknown as Envelope);
      if (state.type === 'Wait') handlers[state.name] = (envelope) => this.runWait(execution, state, envelope as unknown as Envelope);
    }
    const run = library.run(input, {
      overrides: { taskResourceLocalHandlers: handlers },
      context: {
        Execution: {
          Id: execution.arn,
          Name: execution.name,
          RoleArn: LOCAL_ROLE_ARN,
          [ownField('StartTime')]: execution.startDate.toISOString(),
          [ownField('Input')]: JSON.parse(execution.input) as Json,
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      },
    });
    execution.abortRun = run.abort;
    const { journal } = this.options;
    const topLevel = machine.runnable.States as JsonObject;
    const history = recordHistory(execution, run.eventLogs, {
      ...(resumed && { resumed }),
      ...(journal && {
        recorded: (event) => {
          journal({ t: 'event', arn: execution.arn, event: { ...event, timestamp: event.timestamp.getTime() } });
        },
        entered: (state, stateInput) => {
          if (Object.hasOwn(topLevel, state)) this.checkpoint(execution, { state, input: stateInput });
        },
      }),
    });
    // The final status waits for the last history event, so a caller never sees SUCCEEDED without it.
    execution.settled = Promise.allSettled([run.result, history]).then(([result]) => {
      if (result.status === 'fulfilled') {
        this.end(execution, { status: 'SUCCEEDED', output: JSON.stringify(result.value) });
      } else {
        this.end(execution, failureOf(result.reason));
      }
    });
    this.armLifetime(execution);
  }

  /**
   * Standard executions end after a year (or the definition's TimeoutSeconds, if shorter), counted
   * from the original start: a restored execution keeps its deadline. Wall-clock time, not scaled:
   * the time scale compresses waits (business time), while an execution's age is what its steps
   * read from `$$.Execution.StartTime` and their own clock, as on AWS, to hand over in time.
   */
  private armLifetime(execution: Execution): void {
    const limit = Math.min(this.options.lifetimeSeconds, execution.machine.prepared.timeoutSeconds ?? Number.POSITIVE_INFINITY);
    const dueAt = execution.startDate.getTime() + limit * 1000;
    sleep(Math.max(0, dueAt - Date.now()), execution.ended.signal).then(
      () => {
        const cause =
          limit < this.options.lifetimeSeconds
            ? `the execution ran longer than its TimeoutSeconds (${limit} s)`
            : `the execution ran longer than the maximum duration of a Standard execution (${this.options.lifetimeSeconds} s)`;
        this.end(execution, { status: 'TIMED_OUT', error: 'States.Timeout', cause });
        execution.abortRun();
      },
      () => {},
    );
  }

  private checkpoint(execution: Execution, checkpoint: Checkpoint): void {
    if (execution.status !== 'RUNNING' || execution.suspended) return;
    execution.checkpoint = checkpoint;
    this.options.journal?.({ t: 'checkpoint', arn: execution.arn, checkpoint });
  }

  /** The checkpoint of `state`, once the history recorder has taken its StateEntered event (undefined inside Parallel/Map). */
  private async currentCheckpoint(execution: Execution, state: string): Promise<Checkpoint | undefined> {
    if (!this.options.journal) return undefined;
    // The library queues StateEntered before it calls the handler; its consumer runs on microtasks,
    // so one turn of the event loop guarantees the recorder has checkpointed this entry.
    await new Promise((resolve) => setImmediate(resolve));
    return execution.checkpoint?.state === state ? execution.checkpoint : undefined;
  }

  /** Stops running an execution without ending it: the store keeps it RUNNING at its checkpoint, for the next start. */
  suspend(execution: Execution): void {
    if (execution.status !== 'RUNNING') return;
    execution.suspended = true;
    execution.ended.abort();
    this.options.tokens.spendAllOf(execution);
    execution.abortRun();
  }

  /** StopExecution: ends the execution as ABORTED first, so the library's abort cannot record another outcome. */
  abort(execution: Execution, { error, cause }: { error?: string; cause?: string }): void {
    if (execution.status !== 'RUNNING') return;
    this.end(execution, {
      status: 'ABORTED',
      ...(error !== undefined && { error }),
      ...(cause !== undefined && { cause }),
    });
    execution.abortRun();
  }

  private end(execution: Execution, outcome: ExecutionOutcome): void {
    if (execution.status !== 'RUNNING' || execution.suspended) return;
    Object.assign(execution, outcome, { stopDate: new Date() });
    delete execution.checkpoint;
    delete execution.resume;
    this.options.journal?.({
      t: 'end',
      arn: execution.arn,
      status: execution.status,
      stopDate: (execution.stopDate ?? new Date()).getTime(),
      ...(execution.output !== undefined && { output: execution.output }),
      ...(execution.error !== undefined && { error: execution.error }),
      ...(execution.cause !== undefined && { cause: execution.cause }),
    });
    execution.ended.abort();
    this.options.tokens.spendAllOf(execution);
    const reason = execution.error ? ` ${execution.error}` : '';
    this.options.log(`sfn ${execution.machine.name}/${execution.name} ${execution.status}${reason}`);
  }

  private async runTask(execution: Execution, task: LocalTask, envelope: Envelope): Promise<Json> {
    // The library retries after its own abort; nothing must be invoked for an ended execution.
    if (execution.ended.signal.aborted) throw executionEnded();
    const resume = this.takeResume(execution, task.name);
    if (task.waitForTaskToken && resume?.answer && resume.token !== undefined) {
      return this.awaitRestoredToken(execution, task, resume);
    }
    const timeoutMs = this.taskTimeoutMs(task, envelope);
    return task.waitForTaskToken
      ? this.waitForToken(execution, task, envelope.input, timeoutMs)
      : withDeadline(this.options.targets.call(task, envelope.input), timeoutMs, execution.ended.signal);
  }

  /** The resume of a restored execution, for the first handler of its checkpointed state only. */
  private takeResume(execution: Execution, state: string): Execution['resume'] {
    const { resume } = execution;
    if (resume?.state !== state) return undefined;
    delete execution.resume;
    return resume;
  }

  /** A callback task restored after a restart: the same token, the original timeout deadline, no new invocation. */
  private async awaitRestoredToken(execution: Execution, task: LocalTask, resume: NonNullable<Execution['resume']>): Promise<Json> {
    const token = resume.token ?? '';
    const checkpoint = await this.currentCheckpoint(execution, task.name);
    if (checkpoint)
      this.checkpoint(execution, { ...checkpoint, token, ...(resume.timeoutAt !== undefined && { timeoutAt: resume.timeoutAt }) });
    const timeoutMs = resume.timeoutAt === undefined ? undefined : Math.max(0, resume.timeoutAt - Date.now());
    try {
      return await withDeadline(resume.answer as Promise<Json>, timeoutMs, execution.ended.signal);
    } finally {
      this.options.tokens.spend(token);
    }
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
    return task.waitForTaskToken ? this.businessMsFor(seconds * 1000) : seconds * 1000;
  }

  /**
   * The callback pattern: issue a token, hand it to the target, wait for SendTaskSuccess/Failure.
   * However the task ends (answer, target error, timeout, end of the execution), the token is spent.
   */
  private async waitForToken(execution: Execution, task: LocalTask, input: Json, timeoutMs: number | undefined): Promise<Json> {
    // The target may call SendTaskSuccess before it returns, so the token is issued first.
    const { token, answer } = this.options.tokens.issue(execution);
    const timeoutAt = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const checkpoint = this.currentCheckpoint(execution, task.name);
    const invoked = this.options.targets.call(task, withToken(input, token));
    // The token is kept once the target has returned, i.e. once the application has stored it: a
    // restart before that invokes the target again, which hands out a new token.
    void Promise.all([invoked, checkpoint]).then(
      ([, entry]) => {
        if (entry && this.options.tokens.isWaiting(token)) {
          this.checkpoint(execution, { ...entry, token, ...(timeoutAt !== undefined && { timeoutAt }) });
        }
      },
      () => {},
    );
    try {
      return await withDeadline(
        Promise.race([invoked, answer]).then(() => answer),
        timeoutMs,
        execution.ended.signal,
      );
    } finally {
      this.options.tokens.spend(token);
    }
  }

  private async runWait(execution: Execution, wait: LocalWait, envelope: Envelope): Promise<Json> {
    if (execution.ended.signal.aborted) throw executionEnded();
    // A restored wait keeps its absolute deadline: one that fell due while the cloud was down fires at once.
    const dueAt = this.takeResume(execution, wait.name)?.dueAt ?? Date.now() + this.waitMs(wait, envelope);
    const checkpoint = await this.currentCheckpoint(execution, wait.name);
    if (checkpoint) this.checkpoint(execution, { ...checkpoint, dueAt });
    await sleep(Math.max(0, dueAt - Date.now()), execution.ended.signal);
    return envelope.input;
  }

  private waitMs(wait: LocalWait, envelope: Envelope): number {
    const seconds = wait.seconds ?? envelope.seconds;
    if (seconds !== undefined) {
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw runtimeError(`SecondsPath of state ${wait.name} must select a non-negative integer`);
      }
      return this.businessMsFor(seconds * 1000);
    }
    const timestamp = wait.timestamp ?? envelope.timestamp;
    const at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
    if (Number.isNaN(at)) throw runtimeError(`TimestampPath of state ${wait.name} must select an RFC 3339 timestamp`);
    return this.options.clock ? this.options.clock.realMsUntil(at) : Math.max(0, at - Date.now()) / this.options.timeScale;
  }

  /** Real ms that `ms` of business time takes from now. */
  private businessMsFor(ms: number): number {
    return this.options.clock ? this.options.clock.realMsFor(ms) : ms / this.options.timeScale;
  }
}

function failureOf(reason: unknown): ExecutionOutcome {
  if (reason instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout' };
  if (reason instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  if (reason instanceof ExecutionError && reason.cause instanceof Error) {
    return { status: 'FAILED', error: reason.cause.name, cause: reason.cause.message };
  }
  return { status: 'FAILED', error: 'States.Runtime', cause: String(reason) };
}
