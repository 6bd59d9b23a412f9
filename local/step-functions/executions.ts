/**
 * Execution bookkeeping: state machines and their executions by ARN, names unique per state
 * machine, and the descriptions and listings the API answers.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import type { JsonObject, PreparedDefinition } from '../step-functions-definition';
import { SfnServiceError } from './errors';
import type { Checkpoint, StoredExecution } from './store';

/** The role every local execution reports: there is no IAM locally. */
export const LOCAL_ROLE_ARN = 'arn:aws:iam::000000000000:role/local-step-functions';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface Machine {
  name: string;
  arn: string;
  region: string;
  prepared: PreparedDefinition;
  library: StateMachine;
  /** The definition the library runs (prepared, with the execution's own context fields); a resume runs it from another StartAt. */
  runnable: JsonObject;
  /** Libraries starting at a given top-level state, built on the first resume there. */
  resumeAt: Map<string, StateMachine>;
}

export interface Execution {
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
  /** The top-level state it is in, with what a restart needs to resume it there (local/step-functions/store.ts). */
  checkpoint?: Checkpoint;
  /** Set while a restored execution has not yet re-entered its checkpointed state: the wait or token to take up again. */
  resume?: Checkpoint & { answer?: Promise<unknown> };
  /** The local service stopped with the execution running: it is left RUNNING in the store, nothing more is recorded. */
  suspended?: boolean;
  /** Aborted when the execution ends, however it ends: releases its sleeps and token waits. */
  ended: AbortController;
  abortRun: () => void;
  /** Settles once the run is over and its history complete. */
  settled: Promise<void>;
}

export type ExecutionOutcome = Pick<Execution, 'status' | 'output' | 'error' | 'cause'>;

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

export class Executions {
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, Execution>();

  putMachine(machine: Machine): void {
    this.machines.set(machine.arn, machine);
  }

  machine(arn: string): Machine {
    const machine = this.machines.get(arn);
    if (!machine) throw new SfnServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  execution(arn: string): Execution {
    const execution = this.executions.get(arn);
    if (!execution) throw new SfnServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  all(): Execution[] {
    return [...this.executions.values()];
  }

  /** Registers a RUNNING execution; `created` is false when the call repeats a running one. */
  open(machine: Machine, name: string, input: string): { execution: Execution; created: boolean } {
    if (!/^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/.test(name)) {
      throw new SfnServiceError('InvalidName', `Invalid Name: '${name}'`);
    }
    const arn = machine.arn.replace(':stateMachine:', ':execution:') + `:${name}`;
    const existing = this.executions.get(arn);
    if (existing) {
      // Standard workflows: the same name and input while running is the same execution.
      if (existing.status === 'RUNNING' && existing.input === input) return { execution: existing, created: false };
      throw new SfnServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const execution: Execution = {
      arn,
      name,
      machine,
      input,
      status: 'RUNNING',
      startDate: new Date(),
      history: [],
      ended: new AbortController(),
      abortRun: () => {},
      settled: Promise.resolve(),
    };
    this.executions.set(arn, execution);
    return { execution, created: true };
  }

  /** Puts back an execution read from the store (running or ended), under its own ARN and start date. */
  restore(machine: Machine, stored: StoredExecution): Execution {
    const execution: Execution = {
      arn: stored.arn,
      name: stored.name,
      machine,
      input: stored.input,
      status: stored.status,
      startDate: new Date(stored.startDate),
      ...(stored.stopDate !== undefined && { stopDate: new Date(stored.stopDate) }),
      ...(stored.output !== undefined && { output: stored.output }),
      ...(stored.error !== undefined && { error: stored.error }),
      ...(stored.cause !== undefined && { cause: stored.cause }),
      history: stored.history.map((event) => ({ ...event, timestamp: new Date(event.timestamp) })),
      ...(stored.checkpoint && { checkpoint: stored.checkpoint, currentState: stored.checkpoint.state }),
      ended: new AbortController(),
      abortRun: () => {},
      settled: Promise.resolve(),
    };
    this.executions.set(execution.arn, execution);
    return execution;
  }

  describe(executionArn: string): ExecutionDescription {
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
  list({ stateMachineArn, statusFilter }: { stateMachineArn: string; statusFilter?: ExecutionStatus }): ExecutionListItem[] {
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
  history(executionArn: string): HistoryEvent[] {
    return [...this.execution(executionArn).history];
  }
}

/** What the store keeps of an execution. */
export function storedOf(execution: Execution): StoredExecution {
  return {
    arn: execution.arn,
    name: execution.name,
    machineArn: execution.machine.arn,
    input: execution.input,
    status: execution.status,
    startDate: execution.startDate.getTime(),
    ...(execution.stopDate && { stopDate: execution.stopDate.getTime() }),
    ...(execution.output !== undefined && { output: execution.output }),
    ...(execution.error !== undefined && { error: execution.error }),
    ...(execution.cause !== undefined && { cause: execution.cause }),
    history: execution.history.map((event) => ({ ...event, timestamp: event.timestamp.getTime() })),
    ...(execution.status === 'RUNNING' && execution.checkpoint && { checkpoint: execution.checkpoint }),
  };
}
