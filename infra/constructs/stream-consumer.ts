import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { StartingPosition, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface StreamConsumerProps {
  table: ITable;
  /** The function that handles the records (it answers `batchItemFailures`). */
  fn: LambdaFunction;
  /** The records it gets: `FilterCriteria.filter(...)` patterns (a record passes when it matches one). */
  filters: Array<Record<string, unknown>>;
  /** What a record that failed every retry means, for the failure queue's justification. */
  failedRecords: string;
}

/**
 * Makes `props.fn` a consumer of the table stream: the event source (from the oldest record kept,
 * 25 at a time, failing batches bisected, failures reported per record) and its own failure queue
 * `queueId` in `scope` (encrypted, SSL only, kept 14 days). Each consumer has its own queue so that
 * a record one consumer cannot handle never holds up another.
 *
 * A failed record is retried until it succeeds or the stream drops it (24 hours): what these
 * consumers do (fold a submission into its lead, start or resume its workflow, follow consent,
 * enroll into campaigns) must not be lost to an outage of the table. A bounded count of quick
 * retries did lose it: ten retries pass in seconds, and a two-second throttle of the table dropped
 * submissions that had been answered 202. A record that can never succeed holds its shard instead;
 * the operations alarms on the consumer's iterator age (and on the queue's depth, for a record the
 * stream dropped) say so within minutes.
 */
export function consumeTableStream(scope: Construct, queueId: string, props: StreamConsumerProps): Queue {
  const failures = new Queue(scope, queueId, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(failures).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is a stream consumer's on-failure destination (a DLQ for ${props.failedRecords}).`,
  });
  props.fn.addEventSource(
    new DynamoEventSource(props.table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 25,
      retryAttempts: -1,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(failures),
      filters: props.filters,
    }),
  );
  Validations.of(props.fn.node.scope ?? props.fn).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'dynamodb:ListStreams has no resource-level permissions; the stream reads themselves are scoped to the table stream.',
  });
  return failures;
}
