import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LeadflowHttpApi } from '../../infra/constructs/http-api';
import { Metrics, type MetricsProps } from '../../infra/constructs/metrics';
import { Storage } from '../../infra/constructs/storage';

/** The metrics construct on its own, in a stack with the table and the API, checked by cdk-nag as the app is. */
function metricsTemplate(props: Partial<MetricsProps> = {}): Template {
  const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'leadflow-metrics-cdk-')) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'MetricsTest');
  const storage = new Storage(stack, 'Storage');
  const api = new LeadflowHttpApi(stack, 'Http', { storage });
  new Metrics(stack, 'Metrics', { api, storage, ...props });
  // synth runs cdk-nag's AwsSolutions checks and throws on any unacknowledged finding.
  app.synth();
  return Template.fromStack(stack);
}

function logicalIdOf(template: Template, type: string, description: string): string {
  const [id] = Object.keys(template.findResources(type, { Properties: { Description: Match.stringLikeRegexp(description) } }));
  expect(id).toBeDefined();
  return id!;
}

describe('metrics', () => {
  const template = metricsTemplate();

  it('runs the aggregator every 15 minutes from an EventBridge rule', () => {
    const aggregator = logicalIdOf(template, 'AWS::Lambda::Function', 'daily metric aggregates');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [aggregator, 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [aggregator, 'Arn'] },
    });
  });

  it('takes another rate', () => {
    metricsTemplate({ aggregationRate: Duration.minutes(5) }).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
    });
  });

  it('routes the metrics query and the on-demand aggregation behind the authorizer (the gateway answers preflights)', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual([
      'GET /v1/metrics',
      'GET /v1/metrics/aggregate/{jobId}',
      'POST /v1/metrics/aggregate',
    ]);
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('CUSTOM');
  });

  it('runs on-demand jobs off the request path: the route starts a state machine whose catch closes a failed job', () => {
    const aggregator = logicalIdOf(template, 'AWS::Lambda::Function', 'daily metric aggregates');
    const jobs = logicalIdOf(template, 'AWS::Lambda::Function', 'aggregation jobs');
    const [machineId, machine] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    expect(machine.Properties).toMatchObject({ StateMachineType: 'STANDARD', TracingConfiguration: { Enabled: true } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('aggregation jobs'),
      Environment: { Variables: Match.objectLike({ AGGREGATION_STATE_MACHINE_ARN: { Ref: machineId } }) },
    });
    // The route's function answers in seconds (it only queues); the five-minute aggregator is behind the machine.
    const functions = template.findResources('AWS::Lambda::Function');
    expect(functions[jobs]!.Properties.Timeout).toBe(10);
    const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration'));
    expect(JSON.stringify(integrations)).not.toContain(`"${aggregator}"`);

    const definition = JSON.stringify(machine.Properties.DefinitionString);
    for (const state of ['Aggregate', 'RecordAggregationFailure', 'AggregationFailed', 'Aggregated']) expect(definition).toContain(state);
    expect(definition).toMatch(/Catch.*States\.ALL.*RecordAggregationFailure/);
    expect(definition).toContain('WatermarkMovedError');
  });

  it('gives the query function read access only', () => {
    const getMetrics = logicalIdOf(template, 'AWS::Lambda::Function', 'funnel KPIs');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('funnel KPIs'),
      Environment: { Variables: Match.objectLike({ TABLE_NAME: Match.anyValue() }) },
    });
    const role = template.findResources('AWS::Lambda::Function')[getMetrics]!.Properties.Role['Fn::GetAtt'][0] as string;
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(role),
    );
    const actions = JSON.stringify(policies.map((policy) => policy.Properties.PolicyDocument.Statement));
    expect(actions).toContain('dynamodb:Query');
    expect(actions).not.toMatch(/dynamodb:(Put|Update|Delete|BatchWrite)Item/);
  });

  it('gives the aggregator time to catch up and the backfill setting', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('daily metric aggregates'),
      Timeout: 300,
      Environment: { Variables: Match.objectLike({ METRICS_BACKFILL_DAYS: '31' }) },
    });
  });
});
