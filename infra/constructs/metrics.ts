import { Duration } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
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

  constructor(scope: Construct, id: string, props: MetricsProps) {
    super(scope, id);
    this.aggregator = new LeadflowFunction(this, 'AggregateMetrics', {
      entry: 'aggregate-metrics',
      description: 'Folds new events into the daily metric aggregates (scheduled, or on demand)',
      // A long catch-up commits as it goes: a run that times out is resumed by the next one.
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: { METRICS_BACKFILL_DAYS: String(props.backfillDays ?? 31), METRICS_CONSISTENCY_LAG_SECONDS: '60' },
    });
    props.storage.grant(this.aggregator.fn, [
      // The event stream: every shard of the ingest days past the watermark.
      { queryIndex: 'byDay' },
      // The API key (on-demand runs) and the watermark.
      { actions: ['GetItem'], partitions: ['metricsWatermark'] },
      // A commit: aggregate updates and the watermark put, in one transaction.
      { actions: ['UpdateItem'], partitions: ['dailyAggregates'] },
      { actions: ['PutItem'], partitions: ['metricsWatermark'] },
    ]);
    this.schedule = new Rule(this, 'AggregationSchedule', {
      description: 'Runs the metrics aggregator',
      schedule: Schedule.rate(props.aggregationRate ?? Duration.minutes(15)),
      targets: [new LambdaFunction(this.aggregator.fn)],
    });
    props.api.route(HttpMethod.POST, '/v1/metrics/aggregate', this.aggregator.fn);

    const getMetrics = new LeadflowFunction(this, 'GetMetrics', {
      entry: 'get-metrics',
      description: 'Answers funnel KPIs for a date range from the daily aggregates (JSON or CSV)',
    });
    props.storage.grant(getMetrics.fn, [{ actions: ['Query'], partitions: ['dailyAggregates'] }]);
    props.api.route(HttpMethod.GET, '/v1/metrics', getMetrics.fn);
  }
}
