import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStepFunctions } from '../../local/step-functions';
import { ExecutionStore } from '../../local/step-functions/store';

const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:Lifecycle';

/** A lead waits for its rep (callback, timeout), then pauses, then a plain task closes it. */
const definition = {
  StartAt: 'Start',
  States: {
    Start: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'start', Payload: { 'leadId.$': '$.leadId', 'startedAt.$': '$$.Execution.StartTime' } },
      ResultSelector: { 'startedAt.$': '$.Payload.startedAt' },
      ResultPath: '$.start',
      Next: 'Branch',
    },
    Branch: { Type: 'Choice', Choices: [{ Variable: '$.path', StringEquals: 'pause', Next: 'Pause' }], Default: 'AwaitRep' },
    AwaitRep: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'notify', Payload: { 'leadId.$': '$.leadId', 'token.$': '$$.Task.Token' } },
      TimeoutSecondsPath: '$.repTimeoutSeconds',
      ResultPath: '$.rep',
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'Close' }],
      Next: 'Close',
    },
    Pause: { Type: 'Wait', SecondsPath: '$.pauseSeconds', Next: 'Close' },
    Close: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'close', Payload: { 'startedAt.$': '$$.Execution.StartTime', 'input.$': '$$.Execution.Input' } },
      ResultSelector: { 'startedAt.$': '$.Payload.startedAt', 'input.$': '$.Payload.input' },
      ResultPath: '$.close',
      End: true,
    },
  },
};

describe('local Step Functions across a restart', () => {
  let dir: string;
  let calls: Record<string, unknown[]>;
  let tokens: string[];
  const services: LocalStepFunctions[] = [];

  const service = (options: { timeScale?: number; lifetimeSeconds?: number } = {}) => {
    const sfn = new LocalStepFunctions({
      timeScale: options.timeScale ?? 1000,
      storeDir: dir,
      ...(options.lifetimeSeconds !== undefined && { lifetimeSeconds: options.lifetimeSeconds }),
      invokeFunction: (name, payload) => {
        (calls[name] ??= []).push(payload);
        const body = payload as { token?: string; startedAt?: string; input?: unknown };
        if (name === 'notify') tokens.push(String(body.token));
        return Promise.resolve({ startedAt: body.startedAt, input: body.input });
      },
    });
    sfn.createStateMachine({ name: 'Lifecycle', arn: MACHINE, definition });
    services.push(sfn);
    return sfn;
  };

  const until = async (check: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sfn-store-'));
    calls = {};
    tokens = [];
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((sfn) => sfn.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes a callback task with the same token, without invoking its target again', async () => {
    const first = service();
    const { executionArn } = first.startExecution({
      stateMachineArn: MACHINE,
      name: 'lead-1',
      input: { leadId: 'l1', path: 'await', repTimeoutSeconds: 3600 * 24 * 365 },
    });
    await until(() => tokens.length === 1 && first.describeExecution(executionArn).status === 'RUNNING', 'the rep task');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const before = first.getExecutionHistory(executionArn);
    const startDate = first.describeExecution(executionArn).startDate;
    await first.stop();

    const second = service();
    const report = second.restore();
    expect(report).toMatchObject({ restored: 1, resumed: 1, orphaned: 0 });
    expect(second.describeExecution(executionArn)).toMatchObject({ status: 'RUNNING', startDate });
    expect(second.getExecutionHistory(executionArn).map((event) => event.type)).toEqual(before.map((event) => event.type));
    expect(calls.notify).toHaveLength(1);

    second.sendTaskSuccess(tokens[0] ?? '', JSON.stringify({ moved: 'presentation' }));
    await until(() => second.describeExecution(executionArn).status !== 'RUNNING', 'the end');
    const described = second.describeExecution(executionArn);
    expect(described.status).toBe('SUCCEEDED');
    const output = JSON.parse(described.output ?? '{}') as {
      rep: unknown;
      close: { startedAt: string; input: unknown };
      start: { startedAt: string };
    };
    expect(output.rep).toEqual({ moved: 'presentation' });
    // $$.Execution.StartTime and Input are the execution's own, before and after the restart.
    expect(output.start.startedAt).toBe(startDate.toISOString());
    expect(output.close.startedAt).toBe(startDate.toISOString());
    expect(output.close.input).toEqual({ leadId: 'l1', path: 'await', repTimeoutSeconds: 3600 * 24 * 365 });
    const types = second.getExecutionHistory(executionArn).map((event) => event.type);
    expect(types.filter((type) => type === 'ExecutionStarted')).toHaveLength(1);
    expect(types.filter((type) => type === 'TaskStateEntered' || type === 'TaskScheduled').length).toBe(6); // Start, AwaitRep and Close, once each
    expect(types.at(-1)).toBe('ExecutionSucceeded');
  });

  it('a wait that fell due while stopped fires at once; a callback timeout keeps its deadline', async () => {
    const first = service({ timeScale: 1000 });
    const waiting = first.startExecution({
      stateMachineArn: MACHINE,
      name: 'pause',
      input: { leadId: 'l2', path: 'pause', pauseSeconds: 300 },
    });
    const awaiting = first.startExecution({
      stateMachineArn: MACHINE,
      name: 'await',
      input: { leadId: 'l3', path: 'await', repTimeoutSeconds: 600 },
    });
    await until(() => tokens.length === 1, 'the rep task');
    await new Promise((resolve) => setTimeout(resolve, 30));
    await first.stop();
    // Down for longer than both deadlines (300 ms and 600 ms of real time).
    await new Promise((resolve) => setTimeout(resolve, 700));

    const second = service({ timeScale: 1000 });
    const started = Date.now();
    second.restore();
    await until(
      () => [waiting, awaiting].every(({ executionArn }) => second.describeExecution(executionArn).status === 'SUCCEEDED'),
      'both to end',
    );
    expect(Date.now() - started).toBeLessThan(300);
    const awaited = JSON.parse(second.describeExecution(awaiting.executionArn).output ?? '{}') as { timedOut?: { Error: string } };
    expect(awaited.timedOut?.Error).toBe('States.Timeout');
    expect(calls.notify).toHaveLength(1);
  });

  it('runs a task that was in flight again', async () => {
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const first = new LocalStepFunctions({
      timeScale: 1000,
      storeDir: dir,
      invokeFunction: async (name) => {
        (calls[name] ??= []).push(name);
        if (name === 'start') await stuck;
        return {};
      },
    });
    first.createStateMachine({ name: 'Lifecycle', arn: MACHINE, definition });
    const { executionArn } = first.startExecution({
      stateMachineArn: MACHINE,
      name: 'inflight',
      input: { leadId: 'l4', path: 'pause', pauseSeconds: 1 },
    });
    await until(() => (calls.start ?? []).length === 1, 'the first task');
    await new Promise((resolve) => setTimeout(resolve, 30));
    await first.stop();
    release();

    const second = service();
    second.restore();
    await until(() => second.describeExecution(executionArn).status !== 'RUNNING', 'the end');
    expect(second.describeExecution(executionArn).status).toBe('SUCCEEDED');
    expect(calls.start).toHaveLength(2);
  });

  it('ends an execution that outlives its lifetime TIMED_OUT, counted by the clock from its original start', async () => {
    const first = service({ timeScale: 1000, lifetimeSeconds: 0.4 });
    const { executionArn } = first.startExecution({
      stateMachineArn: MACHINE,
      name: 'long',
      input: { leadId: 'l5', path: 'await', repTimeoutSeconds: 100_000 },
    });
    await until(() => tokens.length === 1, 'the rep task');
    await new Promise((resolve) => setTimeout(resolve, 30));
    await first.stop();
    await new Promise((resolve) => setTimeout(resolve, 450));
    const second = service({ timeScale: 1000, lifetimeSeconds: 0.4 });
    second.restore();
    await until(() => second.describeExecution(executionArn).status !== 'RUNNING', 'the end');
    expect(second.describeExecution(executionArn)).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(second.getExecutionHistory(executionArn).at(-1)?.type).toBe('ExecutionTimedOut');
    expect(second.listExecutions({ stateMachineArn: MACHINE, statusFilter: 'TIMED_OUT' }).map((item) => item.name)).toEqual(['long']);

    const fresh = service({ timeScale: 1000, lifetimeSeconds: 0.2 });
    fresh.restore();
    const other = fresh.startExecution({
      stateMachineArn: MACHINE,
      name: 'short-lived',
      input: { leadId: 'l6', path: 'await', repTimeoutSeconds: 100_000 },
    });
    await until(() => fresh.describeExecution(other.executionArn).status !== 'RUNNING', 'the lifetime');
    expect(fresh.describeExecution(other.executionArn).status).toBe('TIMED_OUT');
  });

  it('restores thousands of waiting executions (and prints how long it took)', async () => {
    const count = 2_000;
    const first = service();
    for (let i = 0; i < count; i++) {
      first.startExecution({
        stateMachineArn: MACHINE,
        name: `bulk-${i}`,
        input: { leadId: `b${i}`, path: 'await', repTimeoutSeconds: 10_000_000 },
      });
    }
    await until(() => tokens.length === count, 'every rep task');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopping = performance.now();
    await first.stop();
    const stopMs = performance.now() - stopping;

    const second = service();
    const report = second.restore();
    expect(report).toMatchObject({ restored: count, resumed: count });
    // Every token answers after the restart.
    for (const token of tokens.slice(0, 50)) second.sendTaskSuccess(token, '{}');
    await until(() => second.listExecutions({ stateMachineArn: MACHINE, statusFilter: 'SUCCEEDED' }).length === 50, 'fifty ends');
    console.log(`restore: ${count} running executions restored in ${report.milliseconds} ms (stop and snapshot: ${Math.round(stopMs)} ms)`);
  }, 120_000);

  it('keeps ended executions answerable after a restart', async () => {
    const first = service();
    const { executionArn } = first.startExecution({
      stateMachineArn: MACHINE,
      name: 'done',
      input: { leadId: 'l7', path: 'pause', pauseSeconds: 1 },
    });
    await until(() => first.describeExecution(executionArn).status === 'SUCCEEDED', 'the end');
    const history = first.getExecutionHistory(executionArn);
    await first.stop();
    const second = service();
    expect(second.restore()).toMatchObject({ restored: 1, resumed: 0 });
    expect(second.describeExecution(executionArn).status).toBe('SUCCEEDED');
    expect(second.getExecutionHistory(executionArn)).toEqual(history);
  });
});

describe('the execution store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sfn-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (arn: string) => ({ t: 'start' as const, arn, name: arn, machineArn: MACHINE, input: '{}', startDate: 1 });

  it('replays the journal on the snapshot and ignores a torn last line', async () => {
    const store = new ExecutionStore({ dir, current: () => [] });
    store.load();
    store.append(start('a'));
    store.append({ t: 'checkpoint', arn: 'a', checkpoint: { state: 'Pause', input: { x: 1 }, dueAt: 5 } });
    await store.flush();
    appendFileSync(path.join(dir, 'journal.ndjson'), '{"t":"end","arn":"a","sta');
    const [loaded] = new ExecutionStore({ dir, current: () => [] }).load();
    expect(loaded).toMatchObject({ arn: 'a', status: 'RUNNING', checkpoint: { state: 'Pause', dueAt: 5 } });
  });

  it('skips journal records already in the snapshot (a crash between the rename and the truncation)', async () => {
    const store = new ExecutionStore({ dir, current: () => [] });
    store.load();
    store.append(start('a'));
    store.append({ t: 'event', arn: 'a', event: { id: 1, previousEventId: 0, timestamp: 1, type: 'ExecutionStarted' } });
    await store.flush();
    const journal = readFileSync(path.join(dir, 'journal.ndjson'), 'utf8');
    const snapshot = new ExecutionStore({ dir, current: () => [] }).load();
    writeFileSync(path.join(dir, 'executions.json'), JSON.stringify({ format: 1, seq: 2, executions: snapshot }));
    writeFileSync(path.join(dir, 'journal.ndjson'), journal);
    const [loaded] = new ExecutionStore({ dir, current: () => [] }).load();
    expect(loaded?.history).toHaveLength(1);
  });

  it('batches appends into few writes', async () => {
    const store = new ExecutionStore({ dir, current: () => [], flushDelayMs: 1000 });
    store.load();
    for (let i = 0; i < 1000; i++) store.append(start(`e${i}`));
    expect(() => readFileSync(path.join(dir, 'journal.ndjson'))).toThrow();
    await store.close();
    expect(new ExecutionStore({ dir, current: () => [] }).load()).toHaveLength(0); // close snapshots `current()`, the truth
  });
});
