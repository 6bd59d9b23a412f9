import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Operations } from '../../infra/constructs/operations';
import { synthesize } from './synthesize';

/**
 * Operations, read from the whole synthesized stack: every function, state machine, queue and API
 * has its alarms, every alarm notifies the one topic, and everything is traced.
 */

type Resources = Record<string, { Properties: Record<string, unknown> }>;

let template: Template;
let alarms: Array<Record<string, unknown>>;
let topicId: string;

beforeAll(() => {
  template = Template.fromStack(synthesize().stack);
  alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).map((alarm) => alarm.Properties);
  const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
  expect(topics).toHaveLength(1);
  topicId = topics[0]!;
});

/** The alarms on one metric of one resource (by its dimension). */
function alarmsOn(metricName: string, dimension: { Name: string; Value: unknown }) {
  return alarms.filter((alarm) => alarm.MetricName === metricName && JSON.stringify(alarm.Dimensions) === JSON.stringify([dimension]));
}

function expectOneAlarm(metricName: string, namespace: string, dimension: { Name: string; Value: unknown }, threshold = 0) {
  const found = alarmsOn(metricName, dimension);
  expect(found, `${metricName} on ${JSON.stringify(dimension.Value)}`).toHaveLength(1);
  expect(found[0]).toMatchObject({
    Namespace: namespace,
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: topicId }],
  });
}

describe('the alarm topic', () => {
  it('is encrypted with a rotated key that CloudWatch may use, and takes only SSL', () => {
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']),
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('receives every alarm', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.AlarmActions, String(alarm.AlarmDescription)).toEqual([{ Ref: topicId }]);
  });

  it('has no subscription without the context opsEmail', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('the subscription follows the context opsEmail', () => {
  function operationsTemplate(context: Record<string, unknown>): Template {
    const stack = new Stack(new App({ context }), 'OpsTest');
    new Operations(stack, 'Operations');
    return Template.fromStack(stack);
  }

  it('subscribes the ops address by email', () => {
    const ops = operationsTemplate({ opsEmail: 'ops@example.com' });
    const [topic] = Object.keys(ops.findResources('AWS::SNS::Topic'));
    ops.resourceCountIs('AWS::SNS::Subscription', 1);
    ops.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topic } });
  });

  it('refuses an opsEmail that is not an address, at synth', () => {
    expect(() => operationsTemplate({ opsEmail: 'ops at example' })).toThrow(/opsEmail must be an email address/);
  });
});

describe('alarms', () => {
  it('on the failed, timed-out and aborted executions of every state machine', () => {
    const machines = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    // Lifecycle, rescore, aggregation, campaign launch and campaign sequence.
    expect(machines).toHaveLength(5);
    for (const machine of machines) {
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        expectOneAlarm(metric, 'AWS/States', { Name: 'StateMachineArn', Value: { Ref: machine } });
      }
    }
  });

  it.each(['WorkflowsParked', 'UnreadableLeadRecords'])('on the %s business metric, over 5 minutes', (metricName) => {
    const parked = alarms.filter((alarm) => alarm.MetricName === metricName);
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({
      Namespace: 'Leadflow',
      Dimensions: [{ Name: 'service', Value: 'leadflow' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('on the depth of every queue (each is a dead-letter or on-failure queue)', () => {
    const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
    expect(queues.length).toBeGreaterThan(0);
    for (const queue of queues) {
      expectOneAlarm('ApproximateNumberOfMessagesVisible', 'AWS/SQS', { Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } });
    }
  });

  it('on the errors and throttles of every function', () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(20);
    for (const fn of functions) {
      for (const metric of ['Errors', 'Throttles']) expectOneAlarm(metric, 'AWS/Lambda', { Name: 'FunctionName', Value: { Ref: fn } });
    }
  });

  it('on the iterator age of every table stream consumer past 5 minutes (a record it keeps failing holds its shard)', () => {
    const consumers = Object.values(template.findResources('AWS::Lambda::EventSourceMapping') as Resources).map(
      (mapping) => mapping.Properties.FunctionName as { Ref: string },
    );
    expect(consumers.length).toBeGreaterThanOrEqual(4);
    for (const fn of consumers) expectOneAlarm('IteratorAge', 'AWS/Lambda', { Name: 'FunctionName', Value: fn }, 300_000);
    // Retried until the stream drops the record, never dropped after a few quick retries.
    for (const mapping of Object.values(template.findResources('AWS::Lambda::EventSourceMapping') as Resources)) {
      expect(mapping.Properties.MaximumRetryAttempts).toBe(-1);
    }
  });

  it("on SES's bounce and complaint rates at the levels SES reviews an account", () => {
    for (const [metric, threshold] of [
      ['Reputation.BounceRate', 0.05],
      ['Reputation.ComplaintRate', 0.001],
    ] as const) {
      const found = alarms.filter((alarm) => alarm.MetricName === metric);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ Namespace: 'AWS/SES', Threshold: threshold, ComparisonOperator: 'GreaterThanThreshold' });
      expect(found[0]!.Dimensions).toBeUndefined();
    }
  });

  it('on 5xx answers of every HTTP API', () => {
    const apis = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'));
    expect(apis).toHaveLength(2);
    for (const api of apis) expectOneAlarm('5xx', 'AWS/ApiGateway', { Name: 'ApiId', Value: { Ref: api } });
  });
});

describe('X-Ray', () => {
  it('traces every function actively', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function') as Resources);
    for (const fn of functions) expect(fn.Properties.TracingConfig, String(fn.Properties.Description)).toEqual({ Mode: 'Active' });
  });

  it('traces every state machine', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine') as Resources);
    for (const machine of machines) expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
  });
});
