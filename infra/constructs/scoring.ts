import { Duration, RemovalPolicy, Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { rescoreDefinition } from '../../workflows/rescore';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';
import type { LifecycleConfig } from '../../core/lifecycle';
import { lifecycleConfigDefine, readsLifecycleConfig } from './lifecycle-config';
import { assignsOwners, type Storage } from './storage';

export interface ScoringProps {
  api: LeadflowHttpApi;
  storage: Storage;
  /** The owners a rescored lead left in qualified without one is assigned from (lead-changes.ts). */
  lifecycle: LifecycleConfig;
}

/** Engagement events, scoring-rules publishing and the asynchronous rescore of every lead. */
export class Scoring extends Construct {
  constructor(scope: Construct, id: string, props: ScoringProps) {
    super(scope, id);
    // Rescoring or an engagement event can hand a lead to sales, which takes an owner from the
    // lifecycle configuration (bundled into the code, or edited in the table).
    const define = lifecycleConfigDefine(props.lifecycle);
    const recordEngagement = new LeadflowFunction(this, 'RecordEngagement', {
      entry: 'record-engagement',
      description: 'Records an engagement event on a lead and rescores it',
      define,
    });
    // Lead, history entries and idempotency record are written as Puts in one transaction.
    props.storage.grant(recordEngagement.fn, [
      { actions: ['GetItem'], partitions: ['rules', 'lead', 'idempotency'] },
      { actions: ['PutItem'], partitions: ['lead', 'idempotency'] },
      readsLifecycleConfig,
      assignsOwners,
    ]);
    props.api.route(HttpMethod.POST, '/v1/leads/{leadId}/events', recordEngagement.fn);

    const manageRules = new LeadflowFunction(this, 'ManageScoringRules', {
      entry: 'manage-scoring-rules',
      description: 'Publishes and reads scoring rules versions',
    });
    // A version and the active pointer, put in one transaction.
    props.storage.grant(manageRules.fn, [
      { actions: ['GetItem'], partitions: ['rules'] },
      { actions: ['PutItem'], partitions: ['rules'] },
    ]);
    props.api.route(HttpMethod.PUT, '/v1/scoring/rules', manageRules.fn);
    props.api.route(HttpMethod.GET, '/v1/scoring/rules', manageRules.fn);

    const rescorePage = new LeadflowFunction(this, 'RescorePage', {
      entry: 'rescore-page',
      description: 'Rescores leads page by page until its time budget is spent',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      define,
    });
    props.storage.grant(rescorePage.fn, [
      // Rescoring is of every lead: it pages through every stage partition of the index.
      { queryIndex: 'byStage' },
      { actions: ['GetItem'], partitions: ['rules', 'lead'] },
      { actions: ['PutItem'], partitions: ['lead'] },
      { actions: ['UpdateItem'], partitions: ['job'] },
      readsLifecycleConfig,
      assignsOwners,
    ]);

    const logs = new LogGroup(this, 'RescoreLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const machine = new StateMachine(this, 'Rescore', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: rescoreDefinition(new Construct(this, 'States'), { rescorePage: rescorePage.fn }),
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
    props.storage.grant(rescoreJobs.fn, [
      { actions: ['GetItem'], partitions: ['rules', 'job'] },
      { actions: ['PutItem'], partitions: ['job'] },
    ]);
    machine.grantStartExecution(rescoreJobs.fn);
    props.api.route(HttpMethod.POST, '/v1/scoring/rescore', rescoreJobs.fn);
    props.api.route(HttpMethod.GET, '/v1/scoring/rescore/{jobId}', rescoreJobs.fn);
  }
}
