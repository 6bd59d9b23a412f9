import { Duration, RemovalPolicy, Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { emailClaimAttributes } from '../../core/email-claim';
import { campaignLaunchDefinition } from '../../workflows/campaign-launch';
import { campaignSequenceDefinition } from '../../workflows/campaign-sequence';
import { LeadflowFunction } from './api-function';
import type { Email } from './email';
import type { LeadflowHttpApi } from './http-api';
import type { Privacy } from './privacy';
import { consumeTableStream } from './stream-consumer';
import type { Storage } from './storage';

export interface CampaignsProps {
  api: LeadflowHttpApi;
  storage: Storage;
  email: Email;
  privacy: Privacy;
}

/** The SES account's sending rate when CDK context `campaignSendRate` does not say (a new account's 14/s). */
export const DEFAULT_CAMPAIGN_SEND_RATE = 14;

/**
 * Nurture campaigns: the campaigns API, the launch (a Distributed Map over the segment's stage
 * partitions), one sequence execution per enrolled lead, and triggered enrollment from the table stream.
 */
export class Campaigns extends Construct {
  readonly launchMachine: StateMachine;
  readonly sequenceMachine: StateMachine;
  /** The functions that send campaign email (see bindCampaignSender). */
  readonly senders: LambdaFunction[] = [];
  private readonly props: CampaignsProps;

  constructor(scope: Construct, id: string, props: CampaignsProps) {
    super(scope, id);
    this.props = props;
    const sendRate = campaignSendRate(this);

    const sendStep = new LeadflowFunction(this, 'SendCampaignStep', {
      entry: 'send-campaign-step',
      description: "One step of a lead's campaign sequence: hold, stop, skip or send the step's email once",
      timeout: Duration.seconds(30),
      environment: { CAMPAIGN_SEND_RATE: String(sendRate) },
    });
    // Senders beyond what the rate needs would only wait on the token bucket: at ~200 ms a send,
    // rate/5 concurrent senders keep up with the rate (at least 2, so one slow send holds nothing up).
    (sendStep.fn.node.defaultChild as CfnResource).addPropertyOverride('ReservedConcurrentExecutions', sendStepConcurrency(sendRate));
    props.storage.grant(sendStep.fn, [
      // The campaign, the lead, its email claims (history queried for opens and clicks), the enrollment's step outcomes.
      { actions: ['GetItem'], partitions: ['campaigns', 'lead', 'templates'] },
      { actions: ['Query'], partitions: ['lead'] },
      { actions: ['PutItem'], partitions: ['lead'] },
      { actions: ['UpdateItem'], partitions: ['lead'], onlyAttributes: emailClaimAttributes },
      // Enrollment step outcomes and the sharded counters (ADD).
      { actions: ['UpdateItem'], partitions: ['campaign'] },
      { actions: ['UpdateItem'], partitions: ['sendRate'], onlyAttributes: ['sent', 'expiresAt'] },
    ]);
    this.bindCampaignSender(sendStep.fn);

    const sequenceLogs = new LogGroup(this, 'SequenceLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.sequenceMachine = new StateMachine(this, 'CampaignSequence', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: campaignSequenceDefinition(new Construct(this, 'SequenceStates'), { sendStep: sendStep.fn }),
      tracingEnabled: true,
      logs: { destination: sequenceLogs, level: LogLevel.ALL, includeExecutionData: false },
      comment: "One execution per lead's entry into a campaign: wait each step's delay, then send, skip or stop",
    });
    this.acknowledgeInvokes(this.sequenceMachine, [sendStep.fn]);

    const launchPage = new LeadflowFunction(this, 'LaunchCampaignPage', {
      entry: 'launch-campaign-page',
      description: "Enrolls a page of a campaign segment's leads and starts their sequences",
      timeout: Duration.minutes(5),
      memorySize: 1024,
    });
    // An enrollment is an update of its item and the campaign's counters (CAMPAIGN#<id>).
    const enrolls = { actions: ['UpdateItem'], partitions: ['campaign'] } as const;
    props.storage.grant(launchPage.fn, [{ queryIndex: 'byStage' }, { actions: ['GetItem'], partitions: ['campaigns'] }, enrolls]);
    this.startsSequences(launchPage.fn);

    const launchLogs = new LogGroup(this, 'LaunchLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.launchMachine = new StateMachine(this, 'CampaignLaunch', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: campaignLaunchDefinition(new Construct(this, 'LaunchStates'), { launchPage: launchPage.fn }),
      tracingEnabled: true,
      logs: { destination: launchLogs, level: LogLevel.ALL, includeExecutionData: false },
      comment: "A campaign launch: a Distributed Map over the segment's stage partitions, a page at a time",
    });
    this.acknowledgeInvokes(this.launchMachine, [launchPage.fn]);
    // Its child executions (the Distributed Map's) are granted by CDK's DistributedMapPolicy.
    const machineName =
      '{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"' +
      Stack.of(this).getLogicalId(this.launchMachine.node.defaultChild as CfnResource) +
      '"}]}]}';
    for (const suffix of [':*', '/*:*']) {
      Validations.of(this.launchMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${machineName}${suffix}]`,
        reason: "The Distributed Map describes and stops its own child executions, named at run time: this machine's executions only.",
      });
    }

    const manage = new LeadflowFunction(this, 'ManageCampaigns', {
      entry: 'manage-campaigns',
      description: 'The campaigns API: define, read with stats, preview, test-send, launch, pause, resume, cancel',
      timeout: Duration.seconds(29),
      memorySize: 1024,
      environment: { CAMPAIGN_LAUNCH_ARN: this.launchMachine.stateMachineArn },
    });
    props.storage.grant(manage.fn, [
      { queryIndex: 'byStage' },
      // The campaign's counter shards are read item by item (one partition each).
      { actions: ['GetItem'], partitions: ['campaigns', 'campaign', 'templates', 'lead'] },
      { actions: ['PutItem', 'UpdateItem'], partitions: ['campaigns'] },
      { actions: ['Query'], partitions: ['campaigns'] },
    ]);
    // Test sends: the steps rendered for a lead to one address (no claims, no history).
    this.bindCampaignSender(manage.fn);
    this.launchMachine.grantStartExecution(manage.fn);
    const campaignRoutes: Array<[HttpMethod, string]> = [
      [HttpMethod.POST, '/v1/campaigns'],
      [HttpMethod.GET, '/v1/campaigns'],
      [HttpMethod.GET, '/v1/campaigns/{campaignId}'],
      ...['preview', 'test-send', 'launch', 'pause', 'resume', 'cancel'].map((action): [HttpMethod, string] => [
        HttpMethod.POST,
        `/v1/campaigns/{campaignId}/${action}`,
      ]),
    ];
    for (const [method, path] of campaignRoutes) props.api.route(method, path, manage.fn);

    const enrollTriggered = new LeadflowFunction(this, 'EnrollTriggeredLeads', {
      entry: 'enroll-triggered-leads',
      description: 'Enrolls leads into active campaigns whose trigger their new history entry matches, from the table stream',
      timeout: Duration.seconds(60),
    });
    props.storage.grant(enrollTriggered.fn, [{ actions: ['Query'], partitions: ['campaigns'] }, enrolls]);
    this.startsSequences(enrollTriggered.fn);
    consumeTableStream(this, 'FailedEnrollments', {
      table: props.storage.table,
      fn: enrollTriggered.fn,
      failedRecords: 'lead changes whose campaign triggers could not be applied',
      // New history entries that a trigger can match: a capture, a stage entered, an engagement event.
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.isEqual('INSERT') as unknown,
          dynamodb: {
            Keys: { sk: { S: FilterRule.beginsWith('HISTORY#') as unknown } },
            NewImage: { type: { S: FilterRule.or('captured', 'stage_changed', 'engagement') } },
          },
        }),
      ],
    });
  }

  /**
   * Everything a function needs to send campaign email, in one call: the SES sender (its variables
   * and SendEmail grant), the marketing templates deployed under run-time names, and the
   * suppression list checked right before every send.
   */
  bindCampaignSender(fn: LambdaFunction): void {
    const { email, privacy, storage } = this.props;
    email.bindSender(fn);
    privacy.bindSuppressionList(fn);
    storage.grant(fn, [{ actions: ['GetItem'], partitions: ['suppression', 'templates'] }]);
    const stack = Stack.of(this);
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['ses:SendEmail'], resources: [stack.formatArn({ service: 'ses', resource: 'template/*' })] }),
    );
    Validations.of(fn.node.scope ?? fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:template/*]',
      reason:
        'Marketing templates are created through the API at run time, each version under its own SES name: no narrower resource exists at deploy time.',
    });
    this.senders.push(fn);
  }

  /** Enrolls leads and starts their sequences (functions/shared/campaign-sequences.ts). */
  private startsSequences(fn: LambdaFunction): void {
    fn.addEnvironment('CAMPAIGN_SEQUENCE_ARN', this.sequenceMachine.stateMachineArn);
    this.sequenceMachine.grantStartExecution(fn);
  }

  private acknowledgeInvokes(machine: StateMachine, fns: LambdaFunction[]): void {
    const stack = Stack.of(this);
    for (const fn of fns) {
      Validations.of(machine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnResource)}.Arn>:*]`,
        reason: 'Step Functions invokes its own step function; the :* suffix covers its versions and aliases (CDK LambdaInvoke grant).',
      });
    }
    Validations.of(machine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray trace segments and CloudWatch Logs vended delivery (logs:*LogDelivery) only accept Resource "*".',
    });
  }
}

/** Reserved concurrency of the send step for a send rate (see the constructor). */
export function sendStepConcurrency(sendRate: number): number {
  return Math.min(100, Math.max(2, Math.ceil(sendRate / 5)));
}

/** CDK context `campaignSendRate`: emails per second, the SES account's sending rate. */
function campaignSendRate(scope: Construct): number {
  const raw: unknown = scope.node.tryGetContext('campaignSendRate');
  if (raw === undefined) return DEFAULT_CAMPAIGN_SEND_RATE;
  const rate = Number(raw);
  if (!Number.isInteger(rate) || rate < 1)
    throw new Error(`context campaignSendRate must be a whole number of emails a second, not ${JSON.stringify(raw)}`);
  return rate;
}
