import { ArnFormat, RemovalPolicy, Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { emailClaimAttributes } from '../../core/email-claim';
import type { LifecycleConfig } from '../../core/lifecycle';
import { leadLifecycleDefinition } from '../../workflows/lead-lifecycle';
import { LeadflowFunction } from './api-function';
import type { Email } from './email';
import { lifecycleConfigDefine, readsLifecycleConfig } from './lifecycle-config';
import type { LeadflowHttpApi } from './http-api';
import type { Secrets } from './secrets';
import { consumeTableStream } from './stream-consumer';
import { assignsOwners, type Storage, type TableGrant } from './storage';

export interface LifecycleProps {
  api: LeadflowHttpApi;
  storage: Storage;
  secrets: Secrets;
  email: Email;
  config: LifecycleConfig;
}

/**
 * The lead lifecycle: a Standard state machine with one execution per lead, started from the
 * table's stream when a lead is first stored, resumed from the stream when a stored move changes its stage.
 */
export class Lifecycle extends Construct {
  readonly stateMachine: StateMachine;
  /** The functions that send email (each must check the suppression list: see the Privacy construct). */
  readonly senders: LambdaFunction[] = [];
  /** The senders of marketing email (the prospect check-in, retention's asks): the Consent construct binds them. */
  readonly marketingSenders: LambdaFunction[] = [];

  constructor(scope: Construct, id: string, props: LifecycleProps) {
    super(scope, id);
    // The deployed configuration rides in the code of the functions that read it (the environment
    // holds 4 KB); an edited one is read from the table (functions/shared/lifecycle-config.ts).
    const define = lifecycleConfigDefine(props.config);
    const workflowStep = (
      id: string,
      entry: string,
      description: string,
      grants: readonly TableGrant[],
      options: { sends?: boolean; readsConfig?: boolean } = {},
    ) => {
      const readsConfig = options.readsConfig ?? true;
      const step = new LeadflowFunction(this, id, { entry, description, ...(readsConfig && { define }) });
      props.storage.grant(step.fn, readsConfig ? [...grants, readsLifecycleConfig] : grants);
      if (options.sends) {
        props.email.bindSender(step.fn);
        this.senders.push(step.fn);
      }
      return step.fn;
    };
    // Every step works on one lead's partition (the lead, its history, email claims, workflow wait).
    const changesLead: TableGrant[] = [{ actions: ['GetItem', 'PutItem'], partitions: ['lead'] }];
    // An email's claim is updated (claimed, then sent or suppressed: its own attributes only) and its
    // history entry put with the confirm; nothing is deleted (functions/shared/email-claims.ts).
    const sendsOnce: TableGrant[] = [
      { actions: ['GetItem', 'PutItem'], partitions: ['lead'] },
      { actions: ['UpdateItem'], partitions: ['lead'], onlyAttributes: emailClaimAttributes },
    ];

    const fns = {
      routeLead: workflowStep('RouteLead', 'route-lead', 'Routes a new lead by its score and assigns an owner', [
        { actions: ['GetItem'], partitions: ['rules', 'lead'] },
        { actions: ['PutItem'], partitions: ['lead'] },
        assignsOwners,
      ]),
      awaitRepMove: workflowStep('AwaitRepMove', 'await-rep-move', "Parks a lead's workflow until a rep moves it", changesLead),
      // It recycles cold qualified leads too (a lead change, through the owner-assigning save).
      sendFollowUp: workflowStep(
        'SendFollowUp',
        'send-follow-up',
        'Sends timed follow-ups when a lead waits too long',
        [...sendsOnce, assignsOwners],
        {
          sends: true,
        },
      ),
      sendRetentionEmail: workflowStep('SendRetentionEmail', 'send-retention-email', 'Sends the retention emails after a win', sendsOnce, {
        sends: true,
      }),
      renurtureLead: workflowStep('RenurtureLead', 'renurture-lead', 'Returns a lost lead to nurturing', [...changesLead, assignsOwners]),
      recordFailure: workflowStep(
        'RecordFailure',
        'record-workflow-failure',
        "Parks a workflow whose step failed beyond its retries: on the lead's history, flagged on the lead, waiting for an operator",
        // Its lead write goes through the one save that gives a qualified lead without an owner its owner.
        [...changesLead, assignsOwners],
      ),
      continueLifecycle: workflowStep(
        'ContinueLifecycle',
        'continue-lifecycle',
        "Hands a lead's workflow to a successor execution before Standard's one-year limit",
        [{ actions: ['PutItem'], partitions: ['lead'] }],
        { readsConfig: false },
      ),
    };
    this.marketingSenders.push(fns.sendFollowUp, fns.sendRetentionEmail);

    const logs = new LogGroup(this, 'ExecutionLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.stateMachine = new StateMachine(this, 'LeadLifecycle', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: leadLifecycleDefinition(new Construct(this, 'States'), fns),
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
      comment: 'One execution per lead: routing, rep moves with timed follow-ups, retention, re-nurture',
    });

    const stack = Stack.of(this);
    for (const fn of Object.values(fns)) {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnResource);
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: 'Step Functions invokes its own step functions; the :* suffix covers their versions and aliases (CDK LambdaInvoke grant).',
      });
    }
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray trace segments and CloudWatch Logs vended delivery (logs:*LogDelivery) only accept Resource "*".',
    });

    // A separate policy, not the function's default one: the machine already depends on the
    // function, so the function must not depend on the machine.
    const awaitRepMoveRole = fns.awaitRepMove.role;
    if (!awaitRepMoveRole) throw new Error('the AwaitRepMove function has no role to grant to');
    new Policy(this, 'AwaitRepMoveResumes', {
      roles: [awaitRepMoveRole],
      statements: [new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [this.stateMachine.stateMachineArn] })],
    });
    const continueRole = fns.continueLifecycle.role;
    if (!continueRole) throw new Error('the ContinueLifecycle function has no role to grant to');
    new Policy(this, 'ContinueLifecycleStartsSuccessors', {
      roles: [continueRole],
      statements: [new PolicyStatement({ actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] })],
    });

    const retryWorkflow = new LeadflowFunction(this, 'RetryLeadWorkflow', {
      entry: 'retry-lead-workflow',
      description: "An operator's retry of a lead's workflow: resumes a parked execution or restarts an ended one",
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      define,
    });
    // The lead (its attention flag and history) and its workflow record.
    props.storage.grant(retryWorkflow.fn, [
      { actions: ['GetItem'], partitions: ['lead'] },
      { actions: ['PutItem'], partitions: ['lead'] },
      readsLifecycleConfig,
      assignsOwners,
    ]);
    this.stateMachine.grantStartExecution(retryWorkflow.fn);
    retryWorkflow.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [this.stateMachine.stateMachineArn] }),
    );
    this.grantOnExecutions(retryWorkflow.fn, ['states:DescribeExecution']);
    props.api.route(HttpMethod.POST, '/v1/leads/{leadId}/workflow/retry', retryWorkflow.fn);

    const processLeadChanges = new LeadflowFunction(this, 'ProcessLeadChanges', {
      entry: 'process-lead-changes',
      description:
        "Folds public submissions into leads, records form touches in a lead's history and starts each new lead's lifecycle, from the table stream",
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
    });
    // Folds accepted submissions into leads (the lead write and the submission's applied marker in
    // one transaction) and writes history entries; the stream reads are the event source's own grant.
    props.storage.grant(processLeadChanges.fn, [
      { actions: ['GetItem'], partitions: ['lead', 'rules'] },
      { actions: ['PutItem'], partitions: ['lead'] },
      { actions: ['UpdateItem'], partitions: ['submission'] },
    ]);
    props.secrets.bind(processLeadChanges.fn, 'leadIdKey');
    this.stateMachine.grantStartExecution(processLeadChanges.fn);
    // To tell a redelivered record from a lead captured again after an erasure (its execution name is taken).
    this.grantOnExecutions(processLeadChanges.fn, ['states:DescribeExecution']);
    consumeTableStream(this, 'FailedStarts', {
      table: props.storage.table,
      fn: processLeadChanges.fn,
      failedRecords: 'records that could not start a workflow',
      // Lead items (new leads and changed ones: a resubmission is a change), and new public submissions.
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.or('INSERT', 'MODIFY'),
          dynamodb: { Keys: { sk: { S: FilterRule.isEqual('LEAD') as unknown } } },
        }),
        FilterCriteria.filter({
          eventName: FilterRule.isEqual('INSERT') as unknown,
          dynamodb: { Keys: { sk: { S: FilterRule.isEqual('SUBMISSION') as unknown } } },
        }),
      ],
    });

    const moveStage = new LeadflowFunction(this, 'MoveLeadStage', {
      entry: 'move-lead-stage',
      description: "A rep's stage move: checked and recorded (the workflow resumes from the stream)",
      define,
    });
    // Stores the move only: the resume follows from the stored move (FollowLeadChanges).
    props.storage.grant(moveStage.fn, [
      { actions: ['GetItem'], partitions: ['idempotency', 'lead'] },
      { actions: ['PutItem'], partitions: ['lead', 'idempotency'] },
      readsLifecycleConfig,
      assignsOwners,
    ]);
    props.api.route(HttpMethod.POST, '/v1/leads/{leadId}/stage', moveStage.fn);

    const manageConfig = new LeadflowFunction(this, 'ManageLifecycleConfig', {
      entry: 'manage-lifecycle-config',
      description: 'Reads and edits the lifecycle configuration (owners, delays, playbooks) without a deploy',
      define,
    });
    // The current item and a change record per edit, put in one transaction (a DELETE is a Put too:
    // the item stays, without a document, so that versions only grow).
    props.storage.grant(manageConfig.fn, [
      { actions: ['GetItem'], partitions: ['config'] },
      { actions: ['PutItem'], partitions: ['config'] },
    ]);
    for (const method of [HttpMethod.GET, HttpMethod.PUT, HttpMethod.DELETE])
      props.api.route(method, '/v1/lifecycle-config', manageConfig.fn);

    const changeOwner = new LeadflowFunction(this, 'ChangeLeadOwner', {
      entry: 'change-lead-owner',
      description: 'Reassigns a lead to one of the configured owners (the new owner is told from the stream)',
      define,
    });
    props.storage.grant(changeOwner.fn, [
      { actions: ['GetItem'], partitions: ['idempotency', 'lead'] },
      { actions: ['PutItem'], partitions: ['lead', 'idempotency'] },
      readsLifecycleConfig,
      assignsOwners,
    ]);
    props.api.route(HttpMethod.POST, '/v1/leads/{leadId}/owner', changeOwner.fn);

    this.followLeadChanges(props, define);
  }

  /**
   * What follows from stored lead changes, in a consumer of its own on the table stream (beside
   * ProcessLeadChanges, which starts workflows and folds submissions): it resumes a moved lead's
   * workflow, hands nurtured leads that now qualify to sales and emails new owners. Separate so
   * that an email or a resume that keeps failing never holds up workflow starts, and so that only
   * this function sends email and resumes tasks.
   */
  private followLeadChanges(props: LifecycleProps, define: Record<string, string>): void {
    const follow = new LeadflowFunction(this, 'FollowLeadChanges', {
      entry: 'follow-lead-changes',
      description:
        "Follows stored lead changes: resumes the lead's workflow after a stage move, hands nurtured leads whose score now qualifies to sales, tells a lead's new owner",
      define,
    });
    // The handoff move (lead and history), the workflow wait, email claims (claimed, then confirmed), the rules, the owner counter.
    props.storage.grant(follow.fn, [
      { actions: ['GetItem'], partitions: ['lead', 'rules'] },
      { actions: ['PutItem'], partitions: ['lead'] },
      { actions: ['UpdateItem'], partitions: ['lead'], onlyAttributes: emailClaimAttributes },
      readsLifecycleConfig,
      assignsOwners,
    ]);
    props.email.bindSender(follow.fn);
    this.senders.push(follow.fn);
    // It resumes waiting steps; it never fails or heartbeats a task (grantTaskResponse would allow both).
    follow.fn.addToRolePolicy(new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [this.stateMachine.stateMachineArn] }));
    consumeTableStream(this, 'UnfollowedChanges', {
      table: props.storage.table,
      fn: follow.fn,
      failedRecords: 'lead changes that could not be followed',
      // Changed lead items only: a stage move, a new owner or a new score is a MODIFY (capture's INSERT is a new lead).
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.isEqual('MODIFY') as unknown,
          dynamodb: { Keys: { sk: { S: FilterRule.isEqual('LEAD') as unknown } } },
        }),
      ],
    });
  }

  /**
   * Grants actions on this machine's executions (`execution:<machine name>:*`): execution names
   * are per lead, so no narrower resource can be written ahead of time.
   */
  grantOnExecutions(fn: LambdaFunction, actions: string[]): void {
    const stack = Stack.of(this);
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    fn.addToRolePolicy(new PolicyStatement({ actions, resources: [executions] }));
    const machine = stack.getLogicalId(this.stateMachine.node.defaultChild as CfnResource);
    // On the function's construct (its role is a sibling of the function).
    Validations.of(fn.node.scope ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${machine}.Name>:*]`,
      reason: "Executions are named per lead at run time: the grant covers this state machine's executions only.",
    });
  }
}
