import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  IntegrationPattern,
  JitterType,
  JsonPath,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
  type IChainable,
  type INextable,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, type LambdaInvokeProps } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { RetentionEmail } from '../core/email-templates';

export interface LeadLifecycleFunctions {
  routeLead: IFunction;
  awaitRepMove: IFunction;
  sendFollowUp: IFunction;
  sendRetentionEmail: IFunction;
  renurtureLead: IFunction;
  recordFailure: IFunction;
}

/** Every Lambda task retries Lambda's transient errors with exponential backoff and full jitter. */
function invoke(scope: Construct, id: string, props: LambdaInvokeProps): LambdaInvoke {
  const task = new LambdaInvoke(scope, id, { ...props, retryOnServiceExceptions: false });
  task.addRetry({
    errors: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
    interval: Duration.seconds(2),
    maxAttempts: 6,
    backoffRate: 2,
    jitterStrategy: JitterType.FULL,
  });
  return task;
}

/**
 * One execution per lead (JSONPath ASL). The functions decide (core/lifecycle.ts planStep); the
 * machine only branches on `$.step.next` and waits `$.step.timeoutSeconds`, so no threshold or
 * delay is copied into the definition.
 *
 *   Route -> StageDecision -> AwaitRepMove (task token, timeout) -> StageDecision ...
 *                                 timeout -> FollowUp -> StageDecision
 *   won  -> SendThankYou -> Wait -> SendCheckIn -> Wait -> SendSurvey -> Wait -> SendUpsell -> Done
 *   lost -> WaitToRenurture -> Renurture -> StageDecision
 */
export function leadLifecycleDefinition(scope: Construct, fns: LeadLifecycleFunctions): DefinitionBody {
  const step = (id: string, fn: IFunction, payload: Record<string, unknown>) =>
    invoke(scope, id, {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({ ...payload, executionName: JsonPath.executionName }),
      resultPath: '$.step',
    });

  const recordFailure = (stateName: string) =>
    invoke(scope, `Record${stateName}Failure`, {
      lambdaFunction: fns.recordFailure,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({
        leadId: JsonPath.stringAt('$.leadId'),
        executionName: JsonPath.executionName,
        state: stateName,
        failure: JsonPath.objectAt('$.failure'),
      }),
      resultPath: JsonPath.DISCARD,
    });

  /** Email tasks: SES throttling and outages are retried with backoff and jitter, then recorded on the lead. */
  const withEmailRetries = <T extends LambdaInvoke>(task: T): T => {
    task.addRetry({
      errors: ['EmailSendFailedError'],
      interval: Duration.seconds(5),
      maxAttempts: 4,
      backoffRate: 2,
      maxDelay: Duration.minutes(2),
      jitterStrategy: JitterType.FULL,
    });
    return task;
  };

  const done = new Succeed(scope, 'Done');
  const decision = new Choice(scope, 'StageDecision');

  const route = step('Route', fns.routeLead, { leadId: JsonPath.stringAt('$.leadId') });

  const awaitRepMove = invoke(scope, 'AwaitRepMove', {
    lambdaFunction: fns.awaitRepMove,
    integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: TaskInput.fromObject({
      leadId: JsonPath.stringAt('$.leadId'),
      executionName: JsonPath.executionName,
      taskToken: JsonPath.taskToken,
      step: JsonPath.objectAt('$.step'),
    }),
    taskTimeout: Timeout.at('$.step.timeoutSeconds'),
    resultPath: '$.step',
  });

  const followUp = withEmailRetries(
    step('FollowUp', fns.sendFollowUp, { leadId: JsonPath.stringAt('$.leadId'), step: JsonPath.objectAt('$.step') }),
  );
  // A follow-up that still fails is recorded and the lead keeps waiting for its rep.
  followUp.addCatch(recordFailure('FollowUp').next(awaitRepMove), { errors: [Errors.ALL], resultPath: '$.failure' });
  awaitRepMove.addCatch(followUp, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' });

  const retention = retentionChain(scope, fns, withEmailRetries, recordFailure, done);

  const renurture = new Wait(scope, 'WaitToRenurture', { time: WaitTime.secondsPath('$.step.renurtureSeconds') }).next(
    step('Renurture', fns.renurtureLead, { leadId: JsonPath.stringAt('$.leadId') }).next(decision),
  );

  decision
    .when(Condition.stringEquals('$.step.next', 'await'), awaitRepMove.next(decision))
    .when(Condition.stringEquals('$.step.next', 'won'), retention)
    .when(Condition.stringEquals('$.step.next', 'lost'), renurture)
    .otherwise(done);
  followUp.next(decision);

  return DefinitionBody.fromChainable(route.next(decision));
}

/** After a win: thank-you at once, then check-in, survey and upsell/referral after the configured gaps. */
function retentionChain(
  scope: Construct,
  fns: LeadLifecycleFunctions,
  withEmailRetries: (task: LambdaInvoke) => LambdaInvoke,
  recordFailure: (stateName: string) => LambdaInvoke,
  done: Succeed,
): IChainable {
  const emails: Array<{ state: string; email: RetentionEmail; waitBefore?: string }> = [
    { state: 'SendThankYou', email: 'thank-you' },
    { state: 'SendCheckIn', email: 'retention-check-in', waitBefore: '$.step.retention.checkInSeconds' },
    { state: 'SendSurvey', email: 'satisfaction-survey', waitBefore: '$.step.retention.surveySeconds' },
    { state: 'SendUpsell', email: 'upsell-referral', waitBefore: '$.step.retention.upsellSeconds' },
  ];
  let next: IChainable = done;
  for (const { state, email, waitBefore } of [...emails].reverse()) {
    const send = withEmailRetries(
      invoke(scope, state, {
        lambdaFunction: fns.sendRetentionEmail,
        payloadResponseOnly: true,
        payload: TaskInput.fromObject({ leadId: JsonPath.stringAt('$.leadId'), executionName: JsonPath.executionName, email }),
        resultPath: JsonPath.DISCARD,
      }),
    );
    send.addCatch(recordFailure(state).next(next), { errors: [Errors.ALL], resultPath: '$.failure' });
    const chain: INextable & IChainable = send;
    send.next(next);
    next = waitBefore ? new Wait(scope, `WaitBefore${state}`, { time: WaitTime.secondsPath(waitBefore) }).next(chain) : chain;
  }
  return next;
}
