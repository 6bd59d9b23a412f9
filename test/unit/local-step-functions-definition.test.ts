import { describe, expect, it } from 'vitest';
import {
  LIBRARY_TASK_TIMEOUT_SECONDS,
  prepareDefinition,
  UnsupportedDefinitionError,
  type JsonObject,
} from '../../local/step-functions-definition';

const options = { timeScale: 86_400, integrations: new Set(['dynamodb:putItem', 'aws-sdk:sesv2:sendEmail']) };
const invoke = { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'f', 'Payload.$': '$' } };

function machine(states: JsonObject, extra: JsonObject = {}): JsonObject {
  return { StartAt: Object.keys(states)[0] ?? 'A', States: states, ...extra };
}

function problemsOf(definition: JsonObject): string[] {
  try {
    prepareDefinition(definition, options);
  } catch (error) {
    if (error instanceof UnsupportedDefinitionError) return error.problems;
    throw error;
  }
  return [];
}

describe('prepareDefinition rejects what the emulator cannot run faithfully', () => {
  it.each([
    ['JSONata at the top', machine({ A: { Type: 'Pass', End: true } }, { QueryLanguage: 'JSONata' }), 'QueryLanguage JSONata'],
    ['JSONata on a state', machine({ A: { Type: 'Pass', QueryLanguage: 'JSONata', End: true } }), 'state "A": QueryLanguage JSONata'],
    ['Assign', machine({ A: { Type: 'Pass', Assign: { x: 1 }, End: true } }), 'state "A": workflow variables (Assign)'],
    ['Arguments', machine({ A: { ...invoke, Arguments: {}, End: true } }), 'state "A": Arguments (JSONata)'],
    ['Output', machine({ A: { Type: 'Pass', Output: {}, End: true } }), 'state "A": Output (JSONata)'],
    ['HeartbeatSeconds', machine({ A: { ...invoke, HeartbeatSeconds: 60, End: true } }), 'state "A": HeartbeatSeconds'],
    [
      'ItemReader',
      machine({ A: { Type: 'Map', ItemReader: {}, ItemProcessor: machine({ B: { Type: 'Pass', End: true } }), End: true } }),
      'state "A": ItemReader',
    ],
    [
      'an activity',
      machine({ A: { Type: 'Task', Resource: 'arn:aws:states:us-east-1:123456789012:activity:x', End: true } }),
      'activities',
    ],
    ['the .sync pattern', machine({ A: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', End: true } }), '.sync'],
    [
      'an integration without a local handler',
      machine({ A: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:s3:putObject', End: true } }),
      'no local handler for "aws-sdk:s3:putObject"',
    ],
    [
      'dynamodb with .waitForTaskToken',
      machine({ A: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem.waitForTaskToken', End: true } }),
      'request-response',
    ],
    [
      '$$.Task.Token outside a callback task',
      machine({ A: { ...invoke, Parameters: { FunctionName: 'f', 'Payload.$': '$$.Task.Token' }, End: true } }),
      'state "A": $$.Task.Token outside a .waitForTaskToken Task',
    ],
    [
      'States.TaskFailed caught before States.Timeout on a task with a timeout',
      machine({
        A: { ...invoke, TimeoutSeconds: 10, Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'B' }], End: true },
        B: { Type: 'Succeed' },
      }),
      'States.TaskFailed before any entry for States.Timeout',
    ],
    [
      'a state name used twice',
      machine({
        A: { Type: 'Parallel', Branches: [machine({ A: { Type: 'Pass', End: true } })], End: true },
      }),
      'state "A": the name is used twice',
    ],
  ])('%s', (_label, definition, expected) => {
    expect(problemsOf(definition).join('\n')).toContain(expected);
  });

  it('names every offending state, nested ones included', () => {
    const problems = problemsOf(
      machine({
        Fan: {
          Type: 'Parallel',
          Branches: [machine({ Inner: { ...invoke, HeartbeatSecondsPath: '$.h', End: true } })],
          Next: 'Last',
        },
        Last: { Type: 'Pass', Assign: { y: 2 }, End: true },
      }),
    );
    expect(problems).toEqual([
      'state "Inner": HeartbeatSecondsPath is not supported locally',
      'state "Last": workflow variables (Assign) is not supported locally',
    ]);
  });

  it('rejects something that is not ASL', () => {
    expect(() => prepareDefinition({ States: {} }, options)).toThrow(/StartAt and States are required/);
  });
});

describe('prepareDefinition accepts and rewrites', () => {
  it('allows a States.Timeout entry before States.TaskFailed', () => {
    const definition = machine({
      A: {
        ...invoke,
        TimeoutSeconds: 10,
        Catch: [
          { ErrorEquals: ['States.Timeout'], Next: 'B' },
          { ErrorEquals: ['States.TaskFailed'], Next: 'B' },
        ],
        End: true,
      },
      B: { Type: 'Succeed' },
    });
    expect(problemsOf(definition)).toEqual([]);
  });

  it('wraps Task Parameters in an envelope and moves the library timeout out of the way', () => {
    const { definition, states } = prepareDefinition(
      machine({
        A: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } },
          TimeoutSecondsPath: '$.timeout',
          End: true,
        },
      }),
      options,
    );
    expect((definition.States as JsonObject).A).toMatchObject({
      TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS,
      Parameters: { input: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } }, 'timeoutSeconds.$': '$.timeout' },
    });
    expect((definition.States as JsonObject).A).not.toHaveProperty('TimeoutSecondsPath');
    expect(states.get('A')).toMatchObject({
      type: 'Task',
      waitForTaskToken: true,
      hasTimeoutPath: true,
      target: { kind: 'lambda-invoke' },
      resourceType: 'lambda',
      resourceName: 'invoke.waitForTaskToken',
    });
  });

  it('turns Wait states into local Tasks that keep the static duration', () => {
    const { definition, states } = prepareDefinition(
      machine({ A: { Type: 'Wait', Seconds: 86_400, Next: 'B' }, B: { Type: 'Wait', TimestampPath: '$.at', End: true } }),
      options,
    );
    expect(states.get('A')).toEqual({ type: 'Wait', name: 'A', seconds: 86_400 });
    expect((definition.States as JsonObject).B).toMatchObject({
      Type: 'Task',
      Parameters: { 'input.$': '$', 'timestamp.$': '$.at' },
      End: true,
    });
  });

  it('scales Retry intervals and the execution timeout, keeping the backoff', () => {
    const { definition, timeoutSeconds } = prepareDefinition(
      machine(
        { A: { ...invoke, Retry: [{ ErrorEquals: ['X'], IntervalSeconds: 86_400, MaxDelaySeconds: 172_800, BackoffRate: 3 }], End: true } },
        { TimeoutSeconds: 864_000 },
      ),
      options,
    );
    expect(timeoutSeconds).toBe(864_000);
    expect(definition.TimeoutSeconds).toBe(10);
    expect((definition.States as JsonObject).A).toMatchObject({
      Retry: [{ ErrorEquals: ['X'], IntervalSeconds: 1, MaxDelaySeconds: 2, BackoffRate: 3 }],
    });
  });

  it('maps integrations to their handler key and AWS error prefix', () => {
    const { states } = prepareDefinition(
      machine({
        Put: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: {}, Next: 'Send' },
        Send: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sesv2:sendEmail.waitForTaskToken', Parameters: {}, Next: 'Fn' },
        Fn: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:score', End: true },
      }),
      options,
    );
    expect(states.get('Put')).toMatchObject({
      target: { kind: 'integration', key: 'dynamodb:putItem', errorPrefix: 'DynamoDB', appendExceptionSuffix: false },
    });
    expect(states.get('Send')).toMatchObject({
      waitForTaskToken: true,
      resourceType: 'aws-sdk:sesv2',
      target: { kind: 'integration', key: 'aws-sdk:sesv2:sendEmail', errorPrefix: 'SesV2', appendExceptionSuffix: true },
    });
    expect(states.get('Fn')).toMatchObject({ target: { kind: 'lambda-function' } });
  });

  it('runs a Distributed Map inline and registers its inner states', () => {
    const { states } = prepareDefinition(
      machine({
        Fan: {
          Type: 'Map',
          ItemsPath: '$.leads',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            ...machine({ Each: { ...invoke, End: true } }),
          },
          End: true,
        },
      }),
      options,
    );
    expect([...states.keys()]).toEqual(['Fan', 'Each']);
  });
});
