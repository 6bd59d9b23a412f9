import { Duration, Stack } from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import * as z from 'zod';
import { LeadflowFunction } from './api-function';

/** Where a count alarm looks: five minutes, any occurrence. */
const PERIOD = Duration.minutes(5);
/** How far behind its stream a consumer may fall (a burst's backlog) before someone should look: 5 minutes. */
const STREAM_BEHIND_MS = 5 * 60 * 1000;

/**
 * SES reviews an account whose bounce rate reaches 5% or whose complaint rate reaches 0.1% (the
 * AWS/SES reputation metrics are rates between 0 and 1): the alarms ring at those levels.
 */
export const SES_BOUNCE_RATE_THRESHOLD = 0.05;
export const SES_COMPLAINT_RATE_THRESHOLD = 0.001;

/** The business metrics' namespace and dimension (functions/shared/business-metrics.ts). */
const BUSINESS_NAMESPACE = 'Leadflow';
const BUSINESS_DIMENSIONS = { service: 'leadflow' };

/**
 * Alarms on everything that can fail out of sight, and one encrypted SNS topic that every alarm
 * notifies (its email subscription is the CDK context `opsEmail`, when given):
 *
 * - every state machine's failed, timed-out and aborted executions;
 * - lifecycle executions parked for an operator (`WorkflowsParked`, a business metric);
 * - campaigns paused by the deliverability guard (`CampaignsPausedByGuard`, a business metric);
 * - lead records the stream consumers skipped because they hold no lead (`UnreadableLeadRecords`);
 * - the depth of every SQS queue (each one in this stack is a dead-letter or on-failure queue);
 * - every function's errors and throttles;
 * - the iterator age of every table stream consumer (a record it keeps failing holds its shard);
 * - SES reputation: bounce and complaint rates;
 * - 5xx answers of every HTTP API.
 *
 * It finds the functions, machines, queues and APIs in its stack, so it is created last: a
 * resource added later would have no alarm (test/infra/operations.test.ts checks them all).
 */
export class Operations extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const opsEmail = z
      .email({ error: 'the CDK context opsEmail must be an email address' })
      .optional()
      .parse(this.node.tryGetContext('opsEmail') ?? undefined);

    // CloudWatch can publish to an encrypted topic only with a customer managed key whose policy lets it.
    const key = new Key(this, 'AlarmTopicKey', { description: 'Encrypts the leadflow alarm topic', enableKeyRotation: true });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'leadflow alarms', masterKey: key, enforceSSL: true });
    if (opsEmail) this.topic.addSubscription(new EmailSubscription(opsEmail));

    const stack = Stack.of(this);
    const found = stack.node.findAll();
    const pathOf = (construct: IConstruct) => construct.node.path.slice(stack.node.path.length + 1);

    for (const machine of found.filter((c): c is StateMachine => c instanceof StateMachine)) {
      const at = pathOf(machine);
      this.alarm(`${at} executions failed`, machine.metricFailed({ period: PERIOD, statistic: 'Sum' }));
      this.alarm(`${at} executions timed out`, machine.metricTimedOut({ period: PERIOD, statistic: 'Sum' }));
      this.alarm(`${at} executions aborted`, machine.metricAborted({ period: PERIOD, statistic: 'Sum' }));
    }
    const businessAlarms: Array<[string, string]> = [
      ['Lifecycle executions parked for an operator', 'WorkflowsParked'],
      // The deliverability guard paused campaigns (functions/apply-email-events.ts): marketing mail stopped until a person resumes it.
      ['Campaigns paused by the deliverability guard', 'CampaignsPausedByGuard'],
      // A lead item that holds no lead reached the stream consumers, which skipped it (functions/shared/lead-images.ts).
      ['Lead records skipped as unreadable', 'UnreadableLeadRecords'],
    ];
    for (const [description, metricName] of businessAlarms) {
      this.alarm(
        description,
        new Metric({ namespace: BUSINESS_NAMESPACE, metricName, dimensionsMap: BUSINESS_DIMENSIONS, period: PERIOD, statistic: 'Sum' }),
      );
    }
    for (const queue of found.filter((c): c is Queue => c instanceof Queue)) {
      this.alarm(
        `${pathOf(queue)} holds messages that failed`,
        queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      );
    }
    for (const fn of found.filter((c): c is LeadflowFunction => c instanceof LeadflowFunction)) {
      const at = pathOf(fn);
      this.alarm(`${at} errors`, fn.fn.metricErrors({ period: PERIOD, statistic: 'Sum' }));
      this.alarm(`${at} throttles`, fn.fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }));
      if (fn.fn.node.findAll().some((c) => c instanceof EventSourceMapping)) {
        this.alarm(
          `${at} is more than 5 minutes behind the table stream`,
          new Metric({
            namespace: 'AWS/Lambda',
            metricName: 'IteratorAge',
            dimensionsMap: { FunctionName: fn.fn.functionName },
            period: PERIOD,
            statistic: 'Maximum',
          }),
          STREAM_BEHIND_MS,
        );
      }
    }
    const ses = (metricName: string) => new Metric({ namespace: 'AWS/SES', metricName, period: Duration.hours(1), statistic: 'Maximum' });
    this.alarm('SES bounce rate at the review level', ses('Reputation.BounceRate'), SES_BOUNCE_RATE_THRESHOLD);
    this.alarm('SES complaint rate at the review level', ses('Reputation.ComplaintRate'), SES_COMPLAINT_RATE_THRESHOLD);
    for (const api of found.filter((c): c is HttpApi => c instanceof HttpApi)) {
      this.alarm(`${pathOf(api)} answered 5xx`, api.metricServerError({ period: PERIOD, statistic: 'Sum' }));
    }
  }

  /** An alarm when the metric goes above the threshold in one period (no data: all is well), notifying the topic. */
  private alarm(description: string, metric: IMetric, threshold = 0): Alarm {
    const alarm = new Alarm(
      this,
      description.replace(/[^A-Za-z0-9]+/g, ' ').replace(/ (\w)/g, (_, c: string) => c.toUpperCase()),
      {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
    );
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}
