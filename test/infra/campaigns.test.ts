import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from './synthesize';

/** The campaign machines and the send step as deployed (the whole app, cdk-nag included, with a send rate of 50/s). */
let template: Template;

beforeAll(() => {
  template = Template.fromStack(synthesize({ campaignSendRate: 50 }).stack);
});

function definitionOf(machineId: RegExp): Record<string, unknown> {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const [, machine] = Object.entries(machines).find(([id]) => machineId.test(id)) ?? [];
  expect(machine).toBeDefined();
  const parts = (machine!.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return JSON.parse(
    parts
      .map((part) => (typeof part === 'string' ? part : '"ARN"'))
      .join('')
      .replace(/""ARN""/g, '"ARN"'),
  ) as Record<string, unknown>;
}

describe('campaign launch', () => {
  it('fans out with a Distributed Map over the stage partitions, at most 4 at once', () => {
    const states = definitionOf(/CampaignLaunch/).States as Record<string, Record<string, unknown>>;
    expect(states.Partitions).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.partitions',
      MaxConcurrency: 4,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'LaunchPage' },
    });
  });
});

describe('campaign sequence', () => {
  it('waits each step by the delay the step function answers, and loops on its decision', () => {
    const states = definitionOf(/CampaignSequence/).States as Record<string, Record<string, unknown>>;
    expect(states.Delay).toMatchObject({ Type: 'Wait', SecondsPath: '$.delaySeconds', Next: 'SendStep' });
    expect(states.NextStep).toMatchObject({ Type: 'Choice', Choices: [{ Variable: '$.next', StringEquals: 'wait', Next: 'Delay' }] });
    const retried = (states.SendStep!.Retry as Array<{ ErrorEquals: string[] }>).flatMap((retry) => retry.ErrorEquals);
    expect(retried).toContain('SendRateExceededError');
  });

  it('gives the send step the configured rate and a reserved concurrency to match', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('campaign sequence'),
      ReservedConcurrentExecutions: 10,
      Environment: { Variables: Match.objectLike({ CAMPAIGN_SEND_RATE: '50' }) },
    });
  });
});

describe('triggered enrollment', () => {
  it('reads only new history entries a trigger can match from the stream', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FilterCriteria: {
        Filters: [
          {
            Pattern: Match.serializedJson({
              eventName: ['INSERT'],
              dynamodb: {
                Keys: { sk: { S: [{ prefix: 'HISTORY#' }] } },
                NewImage: { type: { S: ['captured', 'stage_changed', 'engagement'] } },
              },
            }),
          },
        ],
      },
    });
  });
});
