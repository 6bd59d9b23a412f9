import { Duration, RemovalPolicy, Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  JsonPath,
  JitterType,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';
import type { Storage } from './storage';

export interface ScoringProps {
  api: LeadflowHttpApi;
  storage: Storage;
}

/** Engagement events, scoring-rules publishing and the asynchronous rescore of every lead. */
export class Scoring extends Construct {
  constructor(scope: Construct, id: string, props: ScoringProps) {
    super(scope, id);
    const recordEngagement = new LeadflowFunction(this, 'RecordEngagement', {
      entry: 'record-engagement',
      description: 'Records an engagement event on a lead and rescores it',
    });
    props.storage.bind(recordEngagement.fn, 'readWrite');
    props.api.route(HttpMethod.POST, '/v1/leads/{leadId}/events', recordEngagement.fn);

    const manageRules = new LeadflowFunction(this, 'ManageScoringRules', {
      entry: 'manage-scoring-rules',
      description: 'Publishes and reads scoring rules versions',
    });
    props.storage.bind(manageRules.fn, 'readWrite');
    props.api.route(HttpMethod.PUT, '/v1/scoring/rules', manageRules.fn);
    props.api.route(HttpMethod.GET, '/v1/scoring/rules', manageRules.fn);

    const rescorePage = new LeadflowFunction(this, 'RescorePage', {
      entry: 'rescore-page',
      description: 'Rescores leads page by page until its time budget is spent',
      timeout: Duration.minutes(5),
      memorySize: 1024,
    });
    props.storage.bind(rescorePage.fn, 'readWrite');

    const states = new Construct(this, 'States');
    const page = new LambdaInvoke(states, 'RescorePage', {
      lambdaFunction: rescorePage.fn,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      // No `payload`: the whole state (jobId, and the cursor once there is one) is the page's input.
      // (`TaskInput.fromJsonPathAt('$')` rendered `"Parameters": "$"`, a literal string, not the state.)
    });
    page.addRetry({
      errors: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'TransactionCanceledException'],
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
      jitterStrategy: JitterType.FULL,
    });
    // A failed page closes the job as failed, so its reader never waits on a dead job.
    const recordFailure = new LambdaInvoke(states, 'RecordRescoreFailure', {
      lambdaFunction: rescorePage.fn,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({ jobId: JsonPath.stringAt('$.jobId'), failure: JsonPath.objectAt('$.failure') }),
    });
    page.addCatch(recordFailure.next(new Fail(states, 'RescoreFailed', { error: 'RescoreFailed' })), { errors: [Errors.ALL], resultPath: '$.failure' });
    const loop = new Choice(states, 'MoreLeads')
      .when(Condition.booleanEquals('$.done', false), page)
      .otherwise(new Succeed(states, 'Rescored'));
    // Functions keep the active rules for up to 10 s: start once every write uses the new ones,
    // so no lead is scored with the old rules after the job has passed it.
    const letCachesExpire = new Wait(states, 'LetRulesCachesExpire', { time: WaitTime.duration(Duration.seconds(15)) });
    const logs = new LogGroup(this, 'RescoreLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const machine = new StateMachine(this, 'Rescore', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(letCachesExpire.next(page.next(loop))),
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
      comment: 'Rescores every lead with the active rules, a time-boxed page at a time',
    });
    const logicalId = Stack.of(this).getLogicalId(rescorePage.fn.node.defaultChild as CfnResource);
    Validations.of(machine).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
      reason: 'Step Functions invokes its rescore step; the :* suffix covers its versions and aliases (CDK LambdaInvoke grant).',
    });
    Validations.of(machine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray trace segments and CloudWatch Logs vended delivery (logs:*LogDelivery) only accept Resource "*".',
    });

    const rescoreJobs = new LeadflowFunction(this, 'RescoreJobs', {
      entry: 'rescore-jobs',
      description: 'Starts and reports rescore jobs',
      environment: { RESCORE_STATE_MACHINE_ARN: machine.stateMachineArn },
    });
    props.storage.bind(rescoreJobs.fn, 'readWrite');
    machine.grantStartExecution(rescoreJobs.fn);
    props.api.route(HttpMethod.POST, '/v1/scoring/rescore', rescoreJobs.fn);
    props.api.route(HttpMethod.GET, '/v1/scoring/rescore/{jobId}', rescoreJobs.fn);
  }
}
