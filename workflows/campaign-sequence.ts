import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, DefinitionBody, JitterType, Succeed, Wait, WaitTime } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { LAMBDA_SERVICE_ERRORS, TABLE_BUSY_ERRORS, retryTransient } from './retries';

/**
 * One execution per lead and campaign entry (JSONPath ASL). The step function decides everything
 * (paused: wait and look again; cancelled or stopped: end; else send or skip, and the next delay);
 * the machine only waits `$.delaySeconds` and loops on `$.next`. Three transitions per step.
 *
 *   Delay -> SendStep -> NextStep -> Delay ... -> SequenceDone
 */
export function campaignSequenceDefinition(scope: Construct, fns: { sendStep: IFunction }): DefinitionBody {
  const delay = new Wait(scope, 'Delay', { time: WaitTime.secondsPath('$.delaySeconds') });
  const send = new LambdaInvoke(scope, 'SendStep', {
    lambdaFunction: fns.sendStep,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
  });
  retryTransient(send, LAMBDA_SERVICE_ERRORS);
  // The account's send rate is used up (functions/shared/send-rate.ts), or SES throttled/failed: try again later.
  send.addRetry({
    errors: ['SendRateExceededError', 'EmailSendFailedError', ...TABLE_BUSY_ERRORS],
    interval: Duration.seconds(5),
    maxAttempts: 20,
    backoffRate: 1.5,
    maxDelay: Duration.minutes(5),
    jitterStrategy: JitterType.FULL,
  });
  const next = new Choice(scope, 'NextStep')
    .when(Condition.stringEquals('$.next', 'wait'), delay)
    .otherwise(new Succeed(scope, 'SequenceDone'));
  return DefinitionBody.fromChainable(delay.next(send).next(next));
}
