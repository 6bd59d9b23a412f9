import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  InvalidToken,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
  type DescribeExecutionOutput,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalStepFunctions } from '../../local/step-functions';

const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:';

/** A small lead lifecycle: score (retried on a custom error), route, wait for the rep, pause a day, close. */
const lifecycle = {
  StartAt: 'Score',
  States: {
    Score: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'score-lead', 'Payload.$': '$' },
      ResultSelector: { 'grade.$': '$.Payload.grade' },
      ResultPath: '$.score',
      Retry: [{ ErrorEquals: ['ScoringUnavailableError'], IntervalSeconds: 60, MaxAttempts: 2 }],
      Next: 'Route',
    },
    Route: {
      Type: 'Choice',
      Choices: [{ Variable: '$.score.grade', StringEquals: 'A', Next: 'AwaitRep' }],
      Default: 'Nurture',
    },
    AwaitRep: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'notify-rep', Payload: { 'leadId.$': '$.leadId', 'taskToken.$': '$$.Task.Token' } },
      TimeoutSecondsPath: '$.repTimeoutSeconds',
      ResultPath: '$.rep',
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'Remind' }],
      Next: 'Pause',
    },
    Remind: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'remind-owner', 'Payload.$': '$' },
      ResultPath: null,
      Next: 'Pause',
    },
    Pause: { Type: 'Wait', Seconds: 86_400, Next: 'Done' },
    Nurture: { Type: 'Pass', Result: 'nurturing', ResultPath: '$.track', Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

describe('local Step Functions over the AWS JSON protocol', () => {
  const sfn = new LocalStepFunctions({
    timeScale: 86_400,
    // Called with the FunctionName or the function ARN, as written in the definition.
    invokeFunction: (nameOrArn, payload) => {
      const name = nameOrArn.split(':').at(-1) ?? nameOrArn;
      return functions[name]?.(payload as Record<string, unknown>) ?? Promise.reject(new Error(`no function ${name}`));
    },
    sdkIntegrations: {
      'dynamodb:putItem': () =>
        Promise.reject(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' })),
    },
  });
  let functions: Record<string, (payload: Record<string, unknown>) => Promise<unknown>>;
  let client: SFNClient;
  let close: () => Promise<void>;
  let tokens: string[];
  let scoreCalls: number;

  beforeAll(async () => {
    const server = await sfn.listen(0);
    close = server.close;
    client = new SFNClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    sfn.createStateMachine({ name: 'lifecycle', arn: `${ARN}lifecycle`, definition: JSON.stringify(lifecycle) });
  });

  afterAll(async () => {
    client.destroy();
    await close();
    await sfn.stop();
  });

  beforeEach(() => {
    tokens = [];
    scoreCalls = 0;
    functions = {
      'score-lead': () => {
        scoreCalls += 1;
        if (scoreCalls === 1) return Promise.reject(Object.assign(new Error('try again'), { name: 'ScoringUnavailableError' }));
        return Promise.resolve({ grade: 'A' });
      },
      'notify-rep': (payload) => {
        tokens.push(String(payload.taskToken));
        return Promise.resolve(null);
      },
      'remind-owner': () => Promise.resolve({ reminded: true }),
    };
  });

  async function start(name: string, input: object): Promise<string> {
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: `${ARN}lifecycle`, name, input: JSON.stringify(input) }),
    );
    return executionArn!;
  }

  async function finished(executionArn: string): Promise<DescribeExecutionOutput> {
    for (;;) {
      const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return execution;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function token(): Promise<string> {
    while (tokens.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    return tokens[0]!;
  }

  it('runs the callback task, rejects a reused token and scales a day-long wait', async () => {
    const executionArn = await start('lead-1', { leadId: 'lead-1', repTimeoutSeconds: 7 * 86_400 });
    const taskToken = await token();

    await client.send(new SendTaskHeartbeatCommand({ taskToken }));
    await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ stage: 'qualified' }) }));
    await expect(client.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);

    const execution = await finished(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual({
      leadId: 'lead-1',
      repTimeoutSeconds: 604_800,
      score: { grade: 'A' },
      rep: { stage: 'qualified' },
    });
    expect(scoreCalls).toBe(2);

    const { events = [] } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = events.map((event) => event.type);
    expect(types.filter((type) => type?.endsWith('StateEntered'))).toEqual([
      'TaskStateEntered',
      'ChoiceStateEntered',
      'TaskStateEntered',
      'WaitStateEntered',
      'SucceedStateEntered',
    ]);
    expect(types).toContain('TaskFailed');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(events.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      error: 'ScoringUnavailableError',
    });
  });

  it('times a callback task out into its States.Timeout catcher, after which the token is dead', async () => {
    const executionArn = await start('lead-2', { leadId: 'lead-2', repTimeoutSeconds: 3_600 });
    const taskToken = await token();

    // While the execution goes on (a day's pause after the reminder), the timed-out token is refused.
    while (sfn.listExecutions({ stateMachineArn: `${ARN}lifecycle`, statusFilter: 'RUNNING' })[0]?.currentState !== 'Pause') {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await expect(client.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);

    const execution = await finished(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!).timedOut).toMatchObject({ Error: 'States.Timeout' });

    const { events = [] } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events.map((event) => event.type)).toContain('TaskTimedOut');
  });

  it('fails the execution with the error sent by SendTaskFailure', async () => {
    const executionArn = await start('lead-3', { leadId: 'lead-3', repTimeoutSeconds: 86_400 });
    await client.send(new SendTaskFailureCommand({ taskToken: await token(), error: 'RepDeclined', cause: 'not a fit' }));

    expect(await finished(executionArn)).toMatchObject({ status: 'FAILED', error: 'RepDeclined', cause: 'not a fit' });
  });

  it('is idempotent for the same name and input while running, and refuses a different input', async () => {
    const input = { leadId: 'lead-4', repTimeoutSeconds: 86_400 };
    const first = await start('lead-4', input);
    expect(await start('lead-4', input)).toBe(first);
    await expect(start('lead-4', { ...input, leadId: 'other' })).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    await token();
    const { executions = [] } = await client.send(
      new ListExecutionsCommand({ stateMachineArn: `${ARN}lifecycle`, statusFilter: 'RUNNING' }),
    );
    expect(executions.map((execution) => execution.executionArn)).toEqual([first]);
    expect(sfn.listExecutions({ stateMachineArn: `${ARN}lifecycle`, statusFilter: 'RUNNING' })[0]?.currentState).toBe('AwaitRep');

    await client.send(new StopExecutionCommand({ executionArn: first, error: 'Withdrawn', cause: 'lead asked' }));
    expect(await finished(first)).toMatchObject({ status: 'ABORTED', error: 'Withdrawn' });
    await expect(start('lead-4', input)).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('never fires the timers, task timeouts or task tokens of a stopped execution', async () => {
    let reminded = 0;
    functions['remind-owner'] = () => {
      reminded += 1;
      return Promise.resolve({ reminded: true });
    };
    // Stopped while waiting for the rep: its timeout (a scaled second) would run Remind.
    const waiting = await start('lead-stop-1', { leadId: 'lead-stop-1', repTimeoutSeconds: 86_400 });
    const taskToken = await token();
    await client.send(new StopExecutionCommand({ executionArn: waiting }));
    expect(await finished(waiting)).toMatchObject({ status: 'ABORTED' });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);

    // Stopped in a day-long Wait (a scaled second) that leads to a task.
    sfn.createStateMachine({
      name: 'stoppable',
      arn: `${ARN}stoppable`,
      definition: {
        StartAt: 'Pause',
        States: {
          Pause: { Type: 'Wait', Seconds: 86_400, Next: 'Remind' },
          Remind: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:remind-owner', End: true },
        },
      },
    });
    const pausing = sfn.startExecution({ stateMachineArn: `${ARN}stoppable`, input: {} }).executionArn;
    await client.send(new StopExecutionCommand({ executionArn: pausing, error: 'LeadErased' }));
    const events = sfn.getExecutionHistory(waiting).length + sfn.getExecutionHistory(pausing).length;

    // Past both timers: nothing ran, and neither history grew after its ExecutionAborted.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(reminded).toBe(0);
    expect(sfn.getExecutionHistory(waiting).length + sfn.getExecutionHistory(pausing).length).toBe(events);
    expect(sfn.getExecutionHistory(pausing).at(-1)?.type).toBe('ExecutionAborted');
    expect(sfn.describeExecution(pausing)).toMatchObject({ status: 'ABORTED', error: 'LeadErased' });
  });

  it('answers AWS errors for unknown tokens, executions and state machines', async () => {
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'nope', output: '{}' }))).rejects.toBeInstanceOf(InvalidToken);
    await expect(
      client.send(new DescribeExecutionCommand({ executionArn: `${ARN.replace('stateMachine', 'execution')}lifecycle:none` })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: `${ARN}missing`, input: '{}' }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
  });

  it('surfaces function and integration errors under the names AWS uses', async () => {
    sfn.createStateMachine({
      name: 'errors',
      arn: `${ARN}errors`,
      definition: {
        StartAt: 'Validate',
        States: {
          Validate: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:000000000000:function:validate',
            Catch: [{ ErrorEquals: ['ValidationError'], ResultPath: '$.validation', Next: 'Save' }],
            Next: 'Save',
          },
          Save: {
            Type: 'Task',
            Resource: 'arn:aws:states:::dynamodb:putItem',
            Parameters: { TableName: 't', Item: {} },
            Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.save', Next: 'Done' }],
            Next: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      },
    });
    functions.validate = () => Promise.reject(Object.assign(new Error('email is invalid'), { name: 'ValidationError' }));

    const { executionArn } = sfn.startExecution({ stateMachineArn: `${ARN}errors`, input: {} });
    const output = JSON.parse((await finished(executionArn)).output!);

    expect(output.validation.Error).toBe('ValidationError');
    expect(JSON.parse(output.validation.Cause)).toMatchObject({ errorType: 'ValidationError', errorMessage: 'email is invalid' });
    expect(output.save.Error).toBe('DynamoDB.ConditionalCheckFailedException');
  });

  it('times out a whole execution on the scaled TimeoutSeconds', async () => {
    sfn.createStateMachine({
      name: 'slow',
      arn: `${ARN}slow`,
      definition: { TimeoutSeconds: 3_600, StartAt: 'Sleep', States: { Sleep: { Type: 'Wait', SecondsPath: '$.seconds', End: true } } },
    });
    const { executionArn } = sfn.startExecution({ stateMachineArn: `${ARN}slow`, input: { seconds: 86_400 } });

    expect(await finished(executionArn)).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(sfn.getExecutionHistory(executionArn).at(-1)?.type).toBe('ExecutionTimedOut');
  });

  it('refuses a definition it cannot run faithfully, naming state and feature', () => {
    expect(() => {
      sfn.createStateMachine({
        name: 'jsonata',
        arn: `${ARN}jsonata`,
        definition: { StartAt: 'A', States: { A: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% 1 %}', End: true } } },
      });
    }).toThrow(/state "A": QueryLanguage JSONata is not supported locally/);
  });
});
