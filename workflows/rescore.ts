import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  JsonPath,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { LAMBDA_SERVICE_ERRORS, TABLE_BUSY_ERRORS, retryTransient } from './retries';

export interface RescoreFunctions {
  /** Rescores a time-boxed page of leads, and closes a failed job (`{ jobId, failure }`). */
  rescorePage: IFunction;
}

/**
 * One execution per rescore job (JSONPath ASL). The page function decides when the job is done;
 * the machine only loops on `$.done`.
 *
 *   LetRulesCachesExpire -> RescorePage -> MoreLeads -> RescorePage ... -> Rescored
 *                           failure -> RecordRescoreFailure -> RescoreFailed
 */
export function rescoreDefinition(scope: Construct, fns: RescoreFunctions): DefinitionBody {
  const page = new LambdaInvoke(scope, 'RescorePage', {
    lambdaFunction: fns.rescorePage,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    // No `payload`: the whole state (jobId, and the cursor once there is one) is the page's input.
    // (`TaskInput.fromJsonPathAt('$')` rendered `"Parameters": "$"`, a literal string, not the state.)
  });
  retryTransient(page, [...LAMBDA_SERVICE_ERRORS, ...TABLE_BUSY_ERRORS]);
  // A failed page closes the job as failed, so its reader never waits on a dead job.
  const recordFailure = new LambdaInvoke(scope, 'RecordRescoreFailure', {
    lambdaFunction: fns.rescorePage,
    payloadResponseOnly: true,
    payload: TaskInput.fromObject({ jobId: JsonPath.stringAt('$.jobId'), failure: JsonPath.objectAt('$.failure') }),
  });
  page.addCatch(recordFailure.next(new Fail(scope, 'RescoreFailed', { error: 'RescoreFailed' })), {
    errors: [Errors.ALL],
    resultPath: '$.failure',
  });
  const loop = new Choice(scope, 'MoreLeads')
    .when(Condition.booleanEquals('$.done', false), page)
    .otherwise(new Succeed(scope, 'Rescored'));
  // Functions keep the active rules for up to 10 s: start once every write uses the new ones,
  // so no lead is scored with the old rules after the job has passed it.
  const letCachesExpire = new Wait(scope, 'LetRulesCachesExpire', { time: WaitTime.duration(Duration.seconds(15)) });
  return DefinitionBody.fromChainable(letCachesExpire.next(page.next(loop)));
}
