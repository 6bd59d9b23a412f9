import { Duration } from 'aws-cdk-lib';
import { JitterType } from 'aws-cdk-lib/aws-stepfunctions';
import type { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';

/** The Lambda service's own transient failures: the invocation did not run, or found no capacity. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/**
 * What a function lets through when the table is busy: a lost transaction race, throttling, or the
 * SDK's own request timeout when the table stalls (functions/shared/table.ts).
 */
export const TABLE_BUSY_ERRORS = ['TransactionCanceledException', 'ProvisionedThroughputExceededException', 'TimeoutError'];

/**
 * Retries a task's transient failures: `errors` after 2, 4, 8… seconds with full jitter, so that
 * the executions a burst failed together do not come back together. Six attempts unless told.
 */
export function retryTransient(task: LambdaInvoke, errors: string[], maxAttempts = 6): void {
  task.addRetry({ errors, interval: Duration.seconds(2), maxAttempts, backoffRate: 2, jitterStrategy: JitterType.FULL });
}
