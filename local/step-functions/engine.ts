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
  type LocalTask,
  type LocalWait,
  type PrepareOptions,
} from '../step-functions-definition';
import { executionEnded, runtimeError } from './errors';
import { LOCAL_ROLE_ARN, type Execution, type ExecutionOutcome, type Machine } from './executions';
import { recordHistory } from './history';
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
export function compileDefinition(definition: unknown, options: PrepareOptions): Pick<Machine, 'prepared' | 'library'> {
  const prepared = prepareDefinition(definition, options);
  const original: unknown = typeof definition === 'string' ? JSON.parse(definition) : definition;
  // Structural validation (asl-validator) on the definition as written...
  new StateMachine(original as LibraryDefinition);
  // ...then the rewrite, which uses fractional seconds the validator would refuse.
  const library = new StateMachine(prepared.definition as unknown as LibraryDefinition, { validationOptions: { noValidate: true } });
  return { prepared, library };
}

export interface EngineOptions {
  timeScale: number;
  targets: TaskTargets;
  tokens: TaskTokens;
  log: (line: string) => void;
}

export class Engine {
  constructor(private readonly options: EngineOptions) {}

  run(execution: Execution, input: Json): void {
    const { machine } = execution;
    const handlers: Record<string, (envelope: Json) => Promise<Json>> = {};
    for (const state of machine.prepared.states.values()) {
      if (state.type === 'Task') handlers[state.name] = (envelope) => this.runTask(execution, state, envelope as unknown as Envelope);
      if (state.type === 'Wait') handlers[state.name] = (envelope) => this.runWait(execution, state, envelope as unknown as Envelope);
    }
    const run = machine.library.run(input, {
      overrides: { taskResourceLocalHandlers: handlers },
      context: {
        Execution: { Id: execution.arn, Name: execution.name, RoleArn: LOCAL_ROLE_ARN, StartTime: execution.startDate.toISOString() },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      },
    });
    execution.abortRun = run.abort;
    const history = recordHistory(execution, run.eventLogs);
    // The final status waits for the last history event, so a caller never sees SUCCEEDED without it.
    execution.settled = Promise.allSettled([run.result, history]).then(([result]) => {
      if (result.status === 'fulfilled') {
        this.end(execution, { status: 'SUCCEEDED', output: JSON.stringify(result.value) });
      } else {
        this.end(execution, failureOf(result.reason));
      }
    });
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
    if (execution.status !== 'RUNNING') return;
    Object.assign(execution, outcome, { stopDate: new Date() });
    execution.ended.abort();
    this.options.tokens.spendAllOf(execution);
    const reason = execution.error ? ` ${execution.error}` : '';
    this.options.log(`sfn ${execution.machine.name}/${execution.name} ${execution.status}${reason}`);
  }

  private async runTask(execution: Execution, task: LocalTask, envelope: Envelope): Promise<Json> {
    // The library retries after its own abort; nothing must be invoked for an ended execution.
    if (execution.ended.signal.aborted) throw executionEnded();
    const timeoutMs = this.taskTimeoutMs(task, envelope);
    return task.waitForTaskToken
      ? this.waitForToken(execution, task, envelope.input, timeoutMs)
      : withDeadline(this.options.targets.call(task, envelope.input), timeoutMs, execution.ended.signal);
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
   * The callback pattern: issue a token, hand it to the target, wait for SendTaskSuccess/Failure.
   * However the task ends (answer, target error, timeout, end of the execution), the token is spent.
   */
  private async waitForToken(execution: Execution, task: LocalTask, input: Json, timeoutMs: number | undefined): Promise<Json> {
    // The target may call SendTaskSuccess before it returns, so the token is issued first.
    const { token, answer } = this.options.tokens.issue(execution);
    const invoked = this.options.targets.call(task, withToken(input, token));
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
}

function failureOf(reason: unknown): ExecutionOutcome {
  if (reason instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout' };
  if (reason instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  if (reason instanceof ExecutionError && reason.cause instanceof Error) {
    return { status: 'FAILED', error: reason.cause.name, cause: reason.cause.message };
  }
  return { status: 'FAILED', error: 'States.Runtime', cause: String(reason) };
}
