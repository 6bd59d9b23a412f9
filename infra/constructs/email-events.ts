import { Duration, Validations } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { ConfigurationSetEventDestination, EmailSendingEvent, EventDestination } from 'aws-cdk-lib/aws-ses';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { guardSettingsSchema, type GuardSettings } from '../../core/deliverability-guard';
import { sesDetailTypes } from '../../core/ses-events';
import { LeadflowFunction } from './api-function';
import type { Email } from './email';
import type { Privacy } from './privacy';
import type { Storage } from './storage';

export interface EmailEventsProps {
  storage: Storage;
  email: Email;
  privacy: Privacy;
}

/** The events the configuration set publishes: everything that says what became of an email. */
const publishedEvents = [
  EmailSendingEvent.SEND,
  EmailSendingEvent.DELIVERY,
  EmailSendingEvent.BOUNCE,
  EmailSendingEvent.COMPLAINT,
  EmailSendingEvent.REJECT,
  EmailSendingEvent.OPEN,
  EmailSendingEvent.CLICK,
];

/**
 * SES events: the configuration set publishes its sending events to the default EventBridge bus
 * (SES's EventBridge destination takes only the default bus); a rule sends this set's events to
 * the handler, which suppresses hard bounces and complaints, records deliveries, opens and clicks
 * on their leads (rescoring them) and campaigns, and runs the deliverability guard (CDK context
 * `deliverabilityGuard`: `{windowSends, minimumSends, maxBounceRate, maxComplaintRate}`).
 *
 * Failures are kept: EventBridge retries delivering an event for a day and puts what it could not
 * deliver in the failure queue; an invocation that fails is retried twice by Lambda and then goes
 * to the same queue (the operations alarms watch its depth).
 */
export class EmailEvents extends Construct {
  readonly handler: LeadflowFunction;
  readonly rule: Rule;
  readonly failures: Queue;
  readonly guardSettings: GuardSettings;

  constructor(scope: Construct, id: string, props: EmailEventsProps) {
    super(scope, id);
    const context: unknown = this.node.tryGetContext('deliverabilityGuard');
    this.guardSettings = guardSettingsSchema.parse((typeof context === 'string' ? JSON.parse(context) : context) ?? {});

    this.handler = new LeadflowFunction(this, 'ApplyEmailEvents', {
      entry: 'apply-email-events',
      description: 'Applies SES events: suppression, lead history and scoring, campaign counters, the deliverability guard',
      environment: { DELIVERABILITY_GUARD: JSON.stringify(this.guardSettings) },
    });
    const fn = this.handler.fn;
    props.storage.grant(fn, [
      // The lead read and, in one transaction, the event's marker, the lead's change (or a check that
      // it still exists) and its history entries.
      { actions: ['GetItem', 'PutItem', 'ConditionCheckItem'], partitions: ['lead'] },
      // The campaign's counter and the guard's hourly count, in the same transaction.
      { actions: ['UpdateItem'], partitions: ['campaign', 'deliverability'] },
      { actions: ['Query'], partitions: ['deliverability'] },
      // The guard pauses the active campaigns.
      { actions: ['Query', 'UpdateItem'], partitions: ['campaigns'] },
      { actions: ['GetItem'], partitions: ['rules'] },
      // Hard bounces and complaints join the suppression list.
      { actions: ['PutItem'], partitions: ['suppression'] },
    ]);
    props.privacy.bindSuppressionList(fn);

    this.failures = new Queue(this, 'Failures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the SES events rule target and of the handler: SES events that failed every retry.',
    });
    fn.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(this.failures) });

    new ConfigurationSetEventDestination(this, 'EventDestination', {
      configurationSet: props.email.configurationSet,
      destination: EventDestination.eventBus(EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: publishedEvents,
    });
    this.rule = new Rule(this, 'SesEvents', {
      description: "Sends the configuration set's SES events to the handler",
      eventPattern: {
        source: ['aws.ses'],
        detailType: Object.values(sesDetailTypes),
        // Only this app's mail: other configuration sets of the account publish to the same bus.
        detail: { mail: { tags: { 'ses:configuration-set': [props.email.configurationSet.configurationSetName] } } },
      },
      targets: [new LambdaFunction(fn, { deadLetterQueue: this.failures, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });
  }
}
