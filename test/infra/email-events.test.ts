import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmailEvents } from '../../infra/constructs/email-events';
import { synthesize } from './synthesize';

/** SES events: the configuration set's EventBridge destination, the rule, its handler and where failures go. */

type Resources = Record<string, { Properties: Record<string, unknown> }>;

let template: Template;
let configurationSetId: string;
let handlerId: string;
let queueId: string;

beforeAll(() => {
  const { stack } = synthesize();
  template = Template.fromStack(stack);
  configurationSetId = Object.keys(template.findResources('AWS::SES::ConfigurationSet'))[0]!;
  const events = stack.node.findAll().find((construct): construct is EmailEvents => construct instanceof EmailEvents)!;
  handlerId = stack.getLogicalId(events.handler.fn.node.defaultChild as never);
  queueId = stack.getLogicalId(events.failures.node.defaultChild as never);
});

describe('SES event publishing', () => {
  it('publishes send, delivery, bounce, complaint, reject, open and click of the configuration set to the default bus', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: configurationSetId },
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayEquals(['send', 'delivery', 'bounce', 'complaint', 'reject', 'open', 'click']),
        EventBridgeDestination: {
          EventBusArn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([':event-bus/default'])]) }),
        },
      },
    });
  });

  it("routes this configuration set's SES events to the handler, retried for a day, then to the failure queue", () => {
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.ses'] } },
    }) as Resources;
    expect(Object.keys(rules)).toHaveLength(1);
    const rule = Object.values(rules)[0]!.Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.ses'],
      'detail-type': [
        'Email Sent',
        'Email Delivered',
        'Email Bounced',
        'Email Complaint Received',
        'Email Rejected',
        'Email Opened',
        'Email Clicked',
      ],
      detail: { mail: { tags: { 'ses:configuration-set': [{ Ref: configurationSetId }] } } },
    });
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [handlerId, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      }),
    ]);
  });

  it('sends an invocation that failed its retries to the same queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: handlerId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', Match.objectLike({ SqsManagedSseEnabled: true }));
  });

  it('tells ops when the guard pauses campaigns: an alarm on CampaignsPausedByGuard notifies the alarm topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CampaignsPausedByGuard',
      Namespace: 'Leadflow',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmTopic') }],
    });
  });
});

describe('deliverability guard settings (CDK context deliverabilityGuard)', () => {
  const guardOf = (t: Template) => {
    const fns = t.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { DELIVERABILITY_GUARD: Match.anyValue() } } },
    }) as Resources;
    const [fn] = Object.values(fns);
    return JSON.parse((fn!.Properties.Environment as { Variables: Record<string, string> }).Variables.DELIVERABILITY_GUARD!) as unknown;
  };

  it('defaults to the SES review levels over the last 1,000 sends', () => {
    expect(guardOf(template)).toEqual({ windowSends: 1000, minimumSends: 100, maxBounceRate: 0.05, maxComplaintRate: 0.001 });
  });

  it('takes settings from the context, and refuses nonsense at synth', () => {
    const { stack } = synthesize({ deliverabilityGuard: { minimumSends: 20, maxBounceRate: 0.02 } });
    expect(guardOf(Template.fromStack(stack))).toMatchObject({ minimumSends: 20, maxBounceRate: 0.02, windowSends: 1000 });
    expect(() => synthesize({ deliverabilityGuard: '{"maxComplaintRate": 5}' })).toThrow(/maxComplaintRate/);
  });
});
