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
  continueLifecycle: IFunction;
}

/** Errors a retry cannot fix: the lead is gone (erased), or the step was handed input it refuses. */
const PERMANENT_ERRORS = ['NotFoundError', 'ValidationError'];

/**
 * Every task retries every transient error (DynamoDB or SES throttling, timeouts, Lambda's own
 * errors, a deploy-time bug that a quick rollback fixes) with exponential backoff and full jitter:
 * 2 s, 4 s... capped at a minute, seven times (about four minutes in all). Only permanent errors
 * (and, for callback waits, the wait's timeout, which is the follow-up path) skip the retries.
 */
function invoke(scope: Construct, id: string, props: LambdaInvokeProps, options: { timeoutIsAnAnswer?: boolean } = {}): LambdaInvoke {
  const task = new LambdaInvoke(scope, id, { ...props, retryOnServiceExceptions: false });
  task.addRetry({ errors: [...PERMANENT_ERRORS, ...(options.timeoutIsAnAnswer ? [Errors.TIMEOUT] : [])], maxAttempts: 0 });
  task.addRetry({
    errors: [Errors.ALL],
    interval: Duration.seconds(2),
    maxAttempts: 7,
    backoffRate: 2,
    maxDelay: Duration.minutes(1),
    jitterStrategy: JitterType.FULL,
  });
  return task;
}

/** What every step is told about its execution: who it is and how old (for the one-year hand-over). */
const execution = { executionName: JsonPath.executionName, executionStartedAt: JsonPath.executionStartTime };

/**
 * One execution per lead (JSONPath ASL). The functions decide (core/lifecycle.ts planStep); the
 * machine only branches on `$.step.next` and waits until `$.step`'s times, so no threshold or
 * delay is copied into the definition.
 *
 *   Route -> StageDecision -> AwaitRepMove (task token, timeout) -> StageDecision ...
 *                                 timeout -> FollowUp -> StageDecision
 *   won      -> SendThankYou -> Wait -> SendCheckIn -> Wait -> SendSurvey -> Wait -> SendUpsell (the end)
 *   lost     -> WaitToRenurture -> Renurture -> StageDecision
 *   continue -> ContinueAsNew (a successor execution takes the lead over) -> Done
 *   route    -> Route (a lead still `new` after an operator's retry of a failed Route)
 *   any task failing beyond its retries -> Park<State> (task token: an operator's retry) -> StageDecision
 */
export function leadLifecycleDefinition(scope: Construct, fns: LeadLifecycleFunctions): DefinitionBody {
  const step = (id: string, fn: IFunction, payload: Record<string, unknown>) =>
    invoke(scope, id, {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({ leadId: JsonPath.stringAt('$.leadId'), ...execution, ...payload }),
      resultPath: '$.step',
    });

  const decision = new Choice(scope, 'StageDecision');

  /**
   * A task that failed beyond its retries parks the execution: the failure goes on the lead's
   * history, the lead says it needs attention, and the execution waits (as long as it lives) for
   * an operator's retry, which hands it the step to go on with.
   */
  const park = (stateName: string) =>
    invoke(scope, `Park${stateName}`, {
      lambdaFunction: fns.recordFailure,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        leadId: JsonPath.stringAt('$.leadId'),
        ...execution,
        taskToken: JsonPath.taskToken,
        state: stateName,
        failure: JsonPath.objectAt('$.failure'),
      }),
      resultPath: '$.step',
    }).next(decision);
  const parkOnFailure = <T extends LambdaInvoke>(task: T, stateName: string): T => {
    task.addCatch(park(stateName), { errors: [Errors.ALL], resultPath: '$.failure' });
    return task;
  };

  const done = new Succeed(scope, 'Done');

  const route = parkOnFailure(step('Route', fns.routeLead, { input: JsonPath.objectAt('$') }), 'Route');

  const awaitRepMove = invoke(
    scope,
    'AwaitRepMove',
    {
      lambdaFunction: fns.awaitRepMove,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        leadId: JsonPath.stringAt('$.leadId'),
        ...execution,
        taskToken: JsonPath.taskToken,
        step: JsonPath.objectAt('$.step'),
      }),
      taskTimeout: Timeout.at('$.step.timeoutSeconds'),
      resultPath: '$.step',
    },
    { timeoutIsAnAnswer: true },
  );
  const followUp = parkOnFailure(step('FollowUp', fns.sendFollowUp, { step: JsonPath.objectAt('$.step') }), 'FollowUp');
  // The wait's timeout is the follow-up path; anything else that fails parks.
  awaitRepMove.addCatch(followUp, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' });
  parkOnFailure(awaitRepMove, 'AwaitRepMove');

  const retention = retentionChain(scope, fns, parkOnFailure);

  const renurture = new Wait(scope, 'WaitToRenurture', { time: WaitTime.timestampPath('$.step.renurtureAt') }).next(
    parkOnFailure(step('Renurture', fns.renurtureLead, {}), 'Renurture').next(decision),
  );

  const continueAsNew = parkOnFailure(
    invoke(scope, 'ContinueAsNew', {
      lambdaFunction: fns.continueLifecycle,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({
        leadId: JsonPath.stringAt('$.leadId'),
        ...execution,
        stateMachineArn: JsonPath.stringAt('$$.StateMachine.Id'),
        step: JsonPath.objectAt('$.step'),
      }),
      resultPath: JsonPath.DISCARD,
    }),
    'ContinueAsNew',
  ).next(done);

  decision
    .when(Condition.stringEquals('$.step.next', 'await'), awaitRepMove.next(decision))
    .when(Condition.stringEquals('$.step.next', 'won'), retention)
    .when(Condition.stringEquals('$.step.next', 'lost'), renurture)
    .when(Condition.stringEquals('$.step.next', 'continue'), continueAsNew)
    .when(Condition.stringEquals('$.step.next', 'route'), route)
    .otherwise(done);
  followUp.next(decision);

  return DefinitionBody.fromChainable(route.next(decision));
}

/** After a win: thank-you at once, then check-in, survey and upsell/referral at their times after the win. */
function retentionChain(
  scope: Construct,
  fns: LeadLifecycleFunctions,
  parkOnFailure: (task: LambdaInvoke, stateName: string) => LambdaInvoke,
): IChainable {
  const emails: Array<{ state: string; email: RetentionEmail; waitUntil?: string }> = [
    { state: 'SendThankYou', email: 'thank-you' },
    { state: 'SendCheckIn', email: 'retention-check-in', waitUntil: '$.step.retention.checkInAt' },
    { state: 'SendSurvey', email: 'satisfaction-survey', waitUntil: '$.step.retention.surveyAt' },
    { state: 'SendUpsell', email: 'upsell-referral', waitUntil: '$.step.retention.upsellAt' },
  ];
  // The last email ends the execution itself: a Succeed after it would be one more billed transition per win.
  let next: IChainable | undefined;
  for (const { state, email, waitUntil } of [...emails].reverse()) {
    const send = parkOnFailure(
      invoke(scope, state, {
        lambdaFunction: fns.sendRetentionEmail,
        payloadResponseOnly: true,
        payload: TaskInput.fromObject({ leadId: JsonPath.stringAt('$.leadId'), executionName: JsonPath.executionName, email }),
        resultPath: JsonPath.DISCARD,
      }),
      state,
    );
    const chain: INextable & IChainable = send;
    if (next) send.next(next);
    next = waitUntil ? new Wait(scope, `WaitBefore${state}`, { time: WaitTime.timestampPath(waitUntil) }).next(chain) : chain;
  }
  if (!next) throw new Error('the retention chain has no email');
  return next;
}
