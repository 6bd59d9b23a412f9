import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { planCapture } from '../../../core/capture';
import { defaultScoringRules } from '../../../core/scoring';
import { validateSubmission } from '../../../core/submission';
import { httpEvent, lambdaContext } from './events';

const dynamo = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const ses = mockClient(SESv2Client);
const secrets = mockClient(SecretsManagerClient);
const SALT = 'suppression-salt-for-tests-0123456789';

let moveLeadStage: typeof import('../../../functions/move-lead-stage').handler;
let sendRetentionEmail: typeof import('../../../functions/send-retention-email').handler;

beforeAll(async () => {
  // What the bundler puts in the code (infra/constructs/lifecycle-config.ts); the table holds no edited one (GetCommand answers {}).
  vi.stubGlobal(
    'LEADFLOW_DEPLOYED_LIFECYCLE_CONFIG',
    Buffer.from(
      JSON.stringify({ owners: [{ name: 'Sam', email: 'sam@example.com' }], manager: { name: 'Morgan', email: 'morgan@example.com' } }),
    ).toString('base64'),
  );
  vi.stubEnv('SENDER_EMAIL', 'sales@example.com');
  vi.stubEnv('CONFIGURATION_SET_NAME', 'leadflow');
  vi.stubEnv('EMAIL_TEMPLATES', JSON.stringify({ 'thank-you': 'LeadflowThankYou' }));
  vi.stubEnv('SUPPRESSION_SALT_SECRET_ARN', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:SuppressionSalt');
  ({ handler: moveLeadStage } = await import('../../../functions/move-lead-stage'));
  ({ handler: sendRetentionEmail } = await import('../../../functions/send-retention-email'));
});

const captured = planCapture(
  undefined,
  validateSubmission({ email: 'ada@example.com', firstName: 'Ada' }),
  { formId: 'default' },
  new Date('2026-03-01T00:00:00Z'),
  defaultScoringRules,
  {},
  { leadId: 'ld_testLeadIdFromTheKey00' },
).lead;
const qualified = { ...captured, stage: 'qualified' as const, owner: { name: 'Sam', email: 'sam@example.com' }, version: 2 };
const won = { ...qualified, stage: 'won' as const, deal: { value: 100, currency: 'USD', wonAt: '2026-03-09T00:00:00.000Z' }, version: 5 };

function leadIs(lead: object) {
  dynamo
    .on(GetCommand, { Key: { pk: `LEAD#${captured.leadId}`, sk: 'LEAD' } })
    .resolves({ Item: { pk: `LEAD#${captured.leadId}`, sk: 'LEAD', ...lead } });
}

function move(body: object, headers: Record<string, string> = {}) {
  return moveLeadStage(
    httpEvent('POST /v1/leads/{leadId}/stage', {
      pathParameters: { leadId: captured.leadId },
      headers: { 'content-type': 'application/json', ...headers },
      caller: { name: 'rep', scopes: ['leads:write'] },
      body: JSON.stringify(body),
    }),
    lambdaContext(),
  );
}

beforeEach(() => {
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SALT });
  dynamo.on(GetCommand).resolves({});
});

afterEach(() => {
  dynamo.reset();
  sfn.reset();
  ses.reset();
  secrets.reset();
});

describe('move-lead-stage', () => {
  it('records the move with a version check and answers, resuming nothing itself (the stream does)', async () => {
    leadIs(qualified);
    dynamo.on(TransactWriteCommand).resolves({});

    const result = await move({ stage: 'presentation', reason: 'demo booked' });

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!)).toMatchObject({ from: 'qualified', stage: 'presentation' });
    const [leadPut, historyPut] = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(leadPut!.Put).toMatchObject({ ConditionExpression: 'version = :previous', Item: { stage: 'presentation', version: 3 } });
    expect(historyPut!.Put!.Item).toMatchObject({
      type: 'stage_changed',
      actor: 'api-key:rep',
      data: { from: 'qualified', to: 'presentation', reason: 'demo booked' },
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('answers 409 with the allowed stages and writes nothing', async () => {
    leadIs(qualified);
    const result = await move({ stage: 'won', dealValue: 5 });
    expect(result.statusCode).toBe(409);
    expect(JSON.parse(result.body!).error.details).toContainEqual({ path: 'stage', message: 'allowed: presentation' });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('gives a lead moved by hand from nurturing to qualified an owner, advancing the counter in the same transaction', async () => {
    leadIs({ ...captured, stage: 'nurturing', version: 2 });
    dynamo.on(GetCommand, { Key: { pk: 'COUNTER#owners', sk: 'COUNTER' } }).resolves({ Item: { assigned: 4 } });
    dynamo.on(TransactWriteCommand).resolves({});

    expect((await move({ stage: 'qualified' })).statusCode).toBe(200);

    const items = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items.find((item) => item.Update)?.Update).toMatchObject({
      Key: { pk: 'COUNTER#owners', sk: 'COUNTER' },
      UpdateExpression: 'SET assigned = :next',
      ConditionExpression: 'assigned = :assigned',
      ExpressionAttributeValues: { ':next': 5, ':assigned': 4 },
    });
    const leadPut = items.find((item) => item.Put?.Item?.sk === 'LEAD')!.Put!;
    expect(leadPut.Item).toMatchObject({ stage: 'qualified', owner: { name: 'Sam', email: 'sam@example.com' } });
    const historyPut = items.find((item) => item.Put?.Item?.type === 'stage_changed')!.Put!;
    expect(historyPut.Item).toMatchObject({ data: { from: 'nurturing', to: 'qualified', owner: 'sam@example.com' } });
  });

  it('replays a repeated move with the same Idempotency-Key without moving again', async () => {
    // The lead has moved already; the first request's record, as the first attempt stored it:
    dynamo.on(GetCommand).callsFake(async (input) => {
      if (String(input.Key.pk).startsWith('IDEMPOTENCY#')) {
        const { requestHash } = await import('../../../core/idempotency');
        return {
          Item: {
            requestHash: requestHash([captured.leadId, JSON.stringify({ stage: 'presentation' })]),
            status: 200,
            body: { leadId: captured.leadId, from: 'qualified', stage: 'presentation' },
          },
        };
      }
      return {};
    });
    const result = await move({ stage: 'presentation' }, { 'idempotency-key': 'move-1' });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!)).toEqual({ leadId: captured.leadId, from: 'qualified', stage: 'presentation' });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

// Claim -> send -> confirm, crashes and retries: test/unit/functions/lead-email.test.ts.
describe('send-retention-email', () => {
  it('claims the email, sends the SES template with the configuration set, then confirms it with its history entry', async () => {
    leadIs(won);
    dynamo.on(UpdateCommand).resolves({ Attributes: { attempts: 1 } });
    dynamo.on(TransactWriteCommand).resolves({});
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });

    expect(await sendRetentionEmail({ leadId: captured.leadId, email: 'thank-you' }, lambdaContext())).toEqual({ sent: true });

    const claim = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(claim.ConditionExpression).toBe('attribute_not_exists(pk) OR #state = :claimed');
    expect(claim.ExpressionAttributeValues).toMatchObject({ ':claimed': 'claimed' });
    expect(ses.commandCalls(SendEmailCommand)[0]!.args[0].input).toMatchObject({
      FromEmailAddress: 'sales@example.com',
      Destination: { ToAddresses: ['ada@example.com'] },
      ConfigurationSetName: 'leadflow',
      Content: { Template: { TemplateName: 'LeadflowThankYou' } },
    });
    const [confirm, entry] = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(confirm!.Update!.ExpressionAttributeValues).toMatchObject({ ':settled': 'sent', ':messageId': 'm-1' });
    expect(entry!.Put!.Item).toMatchObject({
      type: 'email_sent',
      data: { template: 'thank-you', recipient: 'prospect', messageId: 'm-1' },
    });
  });
});
