import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { planCapture } from '../../../core/capture';
import { keys } from '../../../core/keys';
import type { Lead } from '../../../core/lead';
import { defaultScoringRules } from '../../../core/scoring';
import { validateSubmission } from '../../../core/submission';
import type { SequenceState } from '../../../functions/shared/campaign-sequences';
import { lambdaContext } from './events';

/** The campaign step's decisions before any email: hold, end, stop and count once. */
const dynamo = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);
let handler: typeof import('../../../functions/send-campaign-step').handler;

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', 'leadflow');
  vi.stubEnv('CAMPAIGN_SEND_RATE', '14');
  vi.stubEnv('CAMPAIGN_SEQUENCE_ARN', 'arn:aws:states:us-east-1:000000000000:stateMachine:CampaignSequence');
  vi.stubEnv('SENDER_EMAIL', 'marketing@example.com');
  vi.stubEnv('CONFIGURATION_SET_NAME', 'leadflow');
  vi.stubEnv('EMAIL_TEMPLATES', '{}');
  vi.stubEnv('SUPPRESSION_SALT_SECRET_ARN', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:SuppressionSalt');
  ({ handler } = await import('../../../functions/send-campaign-step'));
});

afterEach(() => {
  dynamo.reset();
  ses.reset();
});

const lead: Lead = {
  ...planCapture(
    undefined,
    validateSubmission({ email: 'ada@example.com', firstName: 'Ada', consent: 'yes' }),
    { formId: 'default' },
    new Date('2026-03-01T00:00:00Z'),
    defaultScoringRules,
    {},
    { leadId: 'ld_testLeadIdFromTheKey00' },
  ).lead,
  stage: 'nurturing',
};
const campaign = {
  campaignId: 'cmp_0123456789abcdef',
  name: 'Spring',
  status: 'active',
  segment: { stages: ['nurturing'] },
  steps: [
    { templateId: 'welcome', delay: 'PT0S' },
    { templateId: 'follow-up', delay: 'P2D' },
  ],
};
const state: SequenceState = { campaignId: campaign.campaignId, leadId: lead.leadId, entry: 1, step: 0, delaySeconds: 0, next: 'wait' };

function stored(campaignOverrides: Record<string, unknown>, leadOverrides: Partial<Lead> = {}) {
  dynamo.on(GetCommand, { Key: keys.campaign(campaign.campaignId) }).resolves({ Item: { ...campaign, ...campaignOverrides } });
  dynamo.on(GetCommand, { Key: keys.lead(lead.leadId) }).resolves({ Item: { ...keys.lead(lead.leadId), ...lead, ...leadOverrides } });
  dynamo.on(TransactWriteCommand).resolves({});
}

const run = (input: SequenceState) => handler(input, lambdaContext());

describe('a campaign step', () => {
  it('holds while the campaign is paused, looking again in 15 minutes, and sends nothing', async () => {
    stored({ status: 'paused' });
    expect(await run(state)).toEqual({ ...state, delaySeconds: 900, next: 'wait' });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('ends when the campaign is cancelled', async () => {
    stored({ status: 'cancelled' });
    expect((await run(state)).next).toBe('end');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it.each([
    ['skipped_no_consent', { consent: false }],
    ['skipped_sales_stage', { stage: 'qualified' as const }],
    ['skipped_left_segment', { stage: 'lost' as const }],
  ])('stops and counts %s once, in one transaction with the step mark', async (counter, leadOverrides) => {
    stored({}, leadOverrides);
    expect((await run(state)).next).toBe('end');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    const [call] = dynamo.commandCalls(TransactWriteCommand);
    const items = (call?.args[0].input as TransactWriteCommandInput).TransactItems ?? [];
    expect(items[0]?.Update).toMatchObject({
      Key: keys.enrollment(campaign.campaignId, lead.leadId),
      ConditionExpression: 'entry = :entry AND attribute_not_exists(steps.#mark)',
      ExpressionAttributeNames: { '#mark': '0' },
      ExpressionAttributeValues: { ':counter': counter },
    });
    expect(items[1]?.Update?.ExpressionAttributeNames).toEqual({ '#counter': counter });
  });

  it('fails loudly when the step names a template that is gone', async () => {
    stored({});
    dynamo.on(GetCommand, { Key: keys.emailTemplate('welcome') }).resolves({});
    await expect(run(state)).rejects.toThrow(/template welcome is missing/);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});
