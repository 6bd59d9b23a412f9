import { Duration, RemovalPolicy, Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { aggregationDefinition } from '../../workflows/aggregation';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';
import type { Storage } from './storage';

export interface MetricsProps {
  api: LeadflowHttpApi;
  storage: Storage;
  /** How often the aggregator folds new events into the daily aggregates. */
  aggregationRate?: Duration;
  /** Days of history the very first aggregation reads (cover the table's history on an existing table). */
  backfillDays?: number;
}

/**
 * Funnel metrics: a scheduled aggregator folds the event stream (history entries on the byDay
 * index) into daily aggregates past its watermark; the metrics API answers KPIs from them. The
 * dashboard (web/dashboard/index.html) is a static page that calls the API: host it anywhere and
 * list its origin in the CDK context `dashboardOrigins` (the gateway answers its CORS).
 */
export class Metrics extends Construct {
  readonly aggregator: LeadflowFunction;
  readonly schedule: Rule;
  /** Runs on-demand aggregation jobs off the request path. */
  readonly aggregation: StateMachine;

  constructor(scope: Construct, id: string, props: MetricsProps) {
    super(scope, id);
    this.aggregator = new LeadflowFunction(this, 'AggregateMetrics', {
      entry: 'aggregate-metrics',
      description: 'Folds new events into the daily metric aggregates (scheduled, or as an on-demand job)',
      // A long catch-up commits as it goes: a run that times out is resumed by the next one.
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: { METRICS_BACKFILL_DAYS: String(props.backfillDays ?? 31), METRICS_CONSISTENCY_LAG_SECONDS: '60' },
    });
    props.storage.grant(this.aggregator.fn, [
      // The event stream: every shard of the ingest days past the watermark.
      { queryIndex: 'byDay' },
      { actions: ['GetItem'], partitions: ['metricsWatermark'] },
      // A commit: aggregate updates and the watermark put, in one transaction.
      { actions: ['UpdateItem'], partitions: ['dailyAggregates'] },
      { actions: ['PutItem'], partitions: ['metricsWatermark'] },
      // An on-demand job's start and end, and the release of the aggregation lock.
      { actions: ['UpdateItem'], partitions: ['job'] },
    ]);
    this.schedule = new Rule(this, 'AggregationSchedule', {
      description: 'Runs the metrics aggregator',
      schedule: Schedule.rate(props.aggregationRate ?? Duration.minutes(15)),
      targets: [new LambdaFunction(this.aggregator.fn)],
    });

    const logs = new LogGroup(this, 'AggregationLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.aggregation = new StateMachine(this, 'Aggregation', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: aggregationDefinition(new Construct(this, 'States'), { aggregator: this.aggregator.fn }),
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
      comment: 'Runs an on-demand metrics aggregation job and records how it ended',
    });
    const aggregatorId = Stack.of(this).getLogicalId(this.aggregator.fn.node.defaultChild as CfnResource);
    Validations.of(this.aggregation).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${aggregatorId}.Arn>:*]`,
      reason: 'Step Functions invokes the aggregator; the :* suffix covers its versions and aliases (CDK LambdaInvoke grant).',
    });
    Validations.of(this.aggregation).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray trace segments and CloudWatch Logs vended delivery (logs:*LogDelivery) only accept Resource "*".',
    });

    const jobs = new LeadflowFunction(this, 'AggregationJobs', {
      entry: 'aggregation-jobs',
      description: 'Queues on-demand metrics aggregation jobs and reports them',
      environment: { AGGREGATION_STATE_MACHINE_ARN: this.aggregation.stateMachineArn },
    });
    props.storage.grant(jobs.fn, [
      { actions: ['GetItem'], partitions: ['job'] },
      // The queued job and the lock are put in one transaction; a job that cannot start is closed as failed.
      { actions: ['PutItem', 'UpdateItem'], partitions: ['job'] },
    ]);
    this.aggregation.grantStartExecution(jobs.fn);
    props.api.route(HttpMethod.POST, '/v1/metrics/aggregate', jobs.fn);
    props.api.route(HttpMethod.GET, '/v1/metrics/aggregate/{jobId}', jobs.fn);

    const getMetrics = new LeadflowFunction(this, 'GetMetrics', {
      entry: 'get-metrics',
      description: 'Answers funnel KPIs for a date range from the daily aggregates (JSON or CSV)',
    });
    props.storage.grant(getMetrics.fn, [{ actions: ['Query'], partitions: ['dailyAggregates'] }]);
    props.api.route(HttpMethod.GET, '/v1/metrics', getMetrics.fn);
  }
}
