/** Execution history: the library's event log translated into the events AWS records. */
import type { StateMachine } from 'aws-local-stepfunctions';
import type { LocalState, LocalTask } from '../step-functions-definition';
import { LOCAL_ROLE_ARN, type Execution, type HistoryEvent } from './executions';

type LibraryEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type AwsEvent = [string, Record<string, unknown>?];

export interface HistoryOptions {
  /** Each event as it is recorded (the store journals it). */
  recorded?: (event: HistoryEvent) => void;
  /** A state was entered, with its raw input (the engine checkpoints top-level states). */
  entered?: (state: string, input: unknown) => void;
  /**
   * A run that resumes a restored execution: its ExecutionStarted is not recorded again, nor the
   * re-entry of `reentered` (a Wait or a callback task taken up where it was, not started anew).
   */
  resumed?: { reentered?: string };
}

export async function recordHistory(
  execution: Execution,
  events: AsyncGenerator<LibraryEvent>,
  options: HistoryOptions = {},
): Promise<void> {
  const caught = new Set<string>();
  let { reentered } = options.resumed ?? {};
  for await (const event of events) {
    // A suspended execution stays as it was stored; the library's abort is not its end.
    if (execution.suspended) continue;
    if (options.resumed && event.type === 'ExecutionStarted') continue;
    let translated: AwsEvent[];
    if (event.type === 'StateEntered' && event.index === undefined && event.state.name === reentered) {
      reentered = undefined;
      execution.currentState = event.state.name;
      translated = [];
    } else {
      translated = awsEvents(execution, event, caught);
    }
    if (event.type === 'StateEntered' && event.index === undefined) options.entered?.(event.state.name, event.state.input);
    for (const [type, details] of translated) {
      const id = execution.history.length + 1;
      const recorded: HistoryEvent = { id, previousEventId: id - 1, timestamp: new Date(event.timestamp), type, ...details };
      execution.history.push(recorded);
      options.recorded?.(recorded);
    }
  }
}

/** Translates one library event into AWS history events. */
function awsEvents(execution: Execution, event: LibraryEvent, caught: Set<string>): AwsEvent[] {
  switch (event.type) {
    case 'ExecutionStarted':
      return [['ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(event.input), roleArn: LOCAL_ROLE_ARN } }]];
    case 'ExecutionSucceeded':
      return [['ExecutionSucceeded', { executionSucceededEventDetails: { output: JSON.stringify(event.output) } }]];
    case 'ExecutionFailed':
      return [['ExecutionFailed', { executionFailedEventDetails: failureDetails(event) }]];
    case 'ExecutionAborted':
      // The engine ends an execution that outlived its lifetime by aborting the library's run.
      if (execution.status === 'TIMED_OUT') {
        return [['ExecutionTimedOut', { executionTimedOutEventDetails: { error: execution.error, cause: execution.cause } }]];
      }
      return [['ExecutionAborted', { executionAbortedEventDetails: { error: execution.error, cause: execution.cause } }]];
    case 'ExecutionTimeout':
      return [['ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } }]];
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return [[event.type, { [`${lowerFirst(event.type)}EventDetails`]: { name: event.parentState.name, index: event.index } }]];
    case 'StateEntered':
    case 'StateExited':
    case 'StateFailed':
    case 'StateRetried':
    case 'StateCaught':
      return stateEvents(execution, event, caught);
    default:
      // ParallelBranch* have no AWS counterpart.
      return [];
  }
}

/**
 * A caught failure is followed by StateExited, which AWS does not report as a success:
 * `caught` remembers such states (per Map iteration) until they are entered again.
 */
function stateEvents(execution: Execution, event: Extract<LibraryEvent, { state: unknown }>, caught: Set<string>): AwsEvent[] {
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
      const entered: AwsEvent = [
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
      const exited: AwsEvent = [`${state.type}StateExited`, { stateExitedEventDetails: { name: state.name, output } }];
      if (caught.has(key)) return [exited];
      if (task && lambdaArn) return [['LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output } }], exited];
      if (task) return [['TaskSucceeded', { taskSucceededEventDetails: { ...taskDetails, output } }], exited];
      if (state.type === 'Map' || state.type === 'Parallel') return [[`${state.type}StateSucceeded`], exited];
      return [exited];
    }
  }
}

function scheduled(task: LocalTask, region: string): AwsEvent[] {
  if (task.target.kind === 'lambda-function') {
    return [['LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: { resource: task.resource } }], ['LambdaFunctionStarted']];
  }
  const details = { resourceType: task.resourceType, resource: task.resourceName };
  return [
    ['TaskScheduled', { taskScheduledEventDetails: { ...details, region } }],
    ['TaskStarted', { taskStartedEventDetails: details }],
  ];
}

function failureDetails(event: { Error: string; Cause: unknown }): { error: string; cause: string } {
  return { error: event.Error, cause: typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause) };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
