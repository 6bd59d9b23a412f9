/**
 * Execution bookkeeping: state machines and their executions by ARN, names unique per state
 * machine, and the descriptions and listings the API answers.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import type { PreparedDefinition } from '../step-functions-definition';
import { SfnServiceError } from './errors';

/** The role every local execution reports: there is no IAM locally. */
export const LOCAL_ROLE_ARN = 'arn:aws:iam::000000000000:role/local-step-functions';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface Machine {
  name: string;
  arn: string;
  region: string;
  prepared: PreparedDefinition;
  library: StateMachine;
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
