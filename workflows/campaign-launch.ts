import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, DefinitionBody, DistributedMap, JsonPath, StateMachineType, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { LAMBDA_SERVICE_ERRORS, TABLE_BUSY_ERRORS, retryTransient } from './retries';

/** byStage partitions (stage shards) read at once: bounds the launch's load on the index and on Step Functions starts. */
export const LAUNCH_MAX_CONCURRENCY = 4;

/**
 * One execution per launch (JSONPath ASL): a Distributed Map over the segment's byStage partitions
 * (`$.partitions`, each a stage's shard, built by the launch route), each a child workflow that pages through its
 * partition with the page function until `$.done`.
 *
 *   Partitions (Distributed Map, at most 4 at once) -> [ LaunchPage -> MorePages -> LaunchPage ... -> PartitionDone ] -> Launched
 */
export function campaignLaunchDefinition(scope: Construct, fns: { launchPage: IFunction }): DefinitionBody {
  const page = new LambdaInvoke(scope, 'LaunchPage', {
    lambdaFunction: fns.launchPage,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
  });
  // ExecutionLimitExceeded: the account's open executions are at their quota; the page starts them again later.
  retryTransient(page, [...LAMBDA_SERVICE_ERRORS, ...TABLE_BUSY_ERRORS, 'ExecutionLimitExceeded']);
  const more = new Choice(scope, 'MorePages')
    .when(Condition.booleanEquals('$.done', false), page)
    .otherwise(new Succeed(scope, 'PartitionDone'));
  const partitions = new DistributedMap(scope, 'Partitions', {
    itemsPath: '$.partitions',
    maxConcurrency: LAUNCH_MAX_CONCURRENCY,
    mapExecutionType: StateMachineType.STANDARD,
    resultPath: JsonPath.DISCARD,
  });
  partitions.itemProcessor(page.next(more));
  return DefinitionBody.fromChainable(partitions.next(new Succeed(scope, 'Launched')));
}
