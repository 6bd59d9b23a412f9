import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { DefinitionBody, Errors, Fail, JitterType, JsonPath, Succeed, TaskInput, Timeout } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { LAMBDA_SERVICE_ERRORS, retryTransient } from './retries';

export interface AggregationFunctions {
  /** Runs a job (`{ jobId }`) and records its end; records a failed job (`{ jobId, failure }`). */
  aggregator: IFunction;
}

/**
 * One execution per on-demand aggregation job (JSONPath ASL), named after the job:
 *
 *   Aggregate -> Aggregated
 *   failure (after retries, a timeout included) -> RecordAggregationFailure -> AggregationFailed
 *
 * The Catch is what keeps a job from staying `running` when its run dies.
 */
export function aggregationDefinition(scope: Construct, fns: AggregationFunctions): DefinitionBody {
  const aggregate = new LambdaInvoke(scope, 'Aggregate', {
    lambdaFunction: fns.aggregator,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    payload: TaskInput.fromObject({ jobId: JsonPath.stringAt('$.jobId') }),
    resultPath: '$.result',
    // Past the function's own 5-minute timeout (which fails the task as Sandbox.Timedout): only a lost invocation gets here.
    taskTimeout: Timeout.duration(Duration.minutes(6)),
  });
  aggregate.addRetry({
    // A scheduled run is folding the same window: once it is done, this run resumes after it.
    errors: ['WatermarkMovedError'],
    interval: Duration.seconds(1),
    maxAttempts: 6,
    backoffRate: 2,
    jitterStrategy: JitterType.FULL,
  });
  retryTransient(aggregate, LAMBDA_SERVICE_ERRORS, 4);
  const recordFailure = new LambdaInvoke(scope, 'RecordAggregationFailure', {
    lambdaFunction: fns.aggregator,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    payload: TaskInput.fromObject({ jobId: JsonPath.stringAt('$.jobId'), failure: JsonPath.objectAt('$.failure') }),
  });
  // Recording the failure is one small write: retried through throttles and cold-start hiccups.
  recordFailure.addRetry({
    errors: [Errors.ALL],
    interval: Duration.seconds(2),
    maxAttempts: 5,
    backoffRate: 2,
    jitterStrategy: JitterType.FULL,
  });
  aggregate.addCatch(recordFailure.next(new Fail(scope, 'AggregationFailed', { error: 'AggregationFailed' })), {
    errors: [Errors.ALL],
    resultPath: '$.failure',
  });
  return DefinitionBody.fromChainable(aggregate.next(new Succeed(scope, 'Aggregated')));
}
