import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { suppressionHash } from '../../../core/erasure';
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
  vi.stubEnv(
    'LIFECYCLE_CONFIG',
    JSON.stringify({ owners: [{ name: 'Sam', email: 'sam@example.com' }], manager: { name: 'Morgan', email: 'morgan@example.com' } }),
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

describe('send-retention-email', () => {
  it('claims the email with its history entry, then sends the SES template with the configuration set', async () => {
    leadIs(won);
    dynamo.on(TransactWriteCommand).resolves({});
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });

    expect(await sendRetentionEmail({ leadId: captured.leadId, email: 'thank-you' }, lambdaContext())).toEqual({ sent: true });

    const [claim, entry] = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(claim!.Put!.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(entry!.Put!.Item).toMatchObject({ type: 'email_sent', data: { template: 'thank-you', recipient: 'prospect' } });
    expect(ses.commandCalls(SendEmailCommand)[0]!.args[0].input).toMatchObject({
      FromEmailAddress: 'sales@example.com',
      Destination: { ToAddresses: ['ada@example.com'] },
      ConfigurationSetName: 'leadflow',
      Content: { Template: { TemplateName: 'LeadflowThankYou' } },
    });
  });

  it('sends nothing to a suppressed address and records the email as suppressed instead, keeping the claim', async () => {
    leadIs(won);
    dynamo.on(GetCommand, { Key: { pk: `SUPPRESSED#${suppressionHash('ada@example.com', SALT)}`, sk: 'SUPPRESSED' } }).resolves({
      Item: { reason: 'erased', at: '2026-03-10T00:00:00.000Z' },
    });
    dynamo.on(TransactWriteCommand).resolves({});

    expect(await sendRetentionEmail({ leadId: captured.leadId, email: 'thank-you' }, lambdaContext())).toEqual({ sent: false });

    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    const [claim, swap] = dynamo.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
    expect(claim!.map((item) => Object.keys(item)[0])).toEqual(['Put', 'Put']);
    // The email_sent entry of the claim is replaced by an email_suppressed one; the claim itself stays.
    expect(swap!.map((item) => Object.keys(item)[0])).toEqual(['Delete', 'Put']);
    expect(swap![0]!.Delete!.Key).toEqual({ pk: claim![1]!.Put!.Item!.pk, sk: claim![1]!.Put!.Item!.sk });
    expect(swap![1]!.Put!.Item).toMatchObject({ type: 'email_suppressed', data: { template: 'thank-you', recipient: 'prospect' } });
  });

  it('sends nothing when a retried step finds the email already claimed', async () => {
    leadIs(won);
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'x',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    );
    expect(await sendRetentionEmail({ leadId: captured.leadId, email: 'thank-you' }, lambdaContext())).toEqual({ sent: false });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('releases the claim and fails with EmailSendFailedError when SES rejects, so the retry sends it', async () => {
    leadIs(won);
    dynamo.on(TransactWriteCommand).resolves({});
    ses.on(SendEmailCommand).rejects(new Error('Throttling ada@example.com'));
    const failure = sendRetentionEmail({ leadId: captured.leadId, email: 'thank-you' }, lambdaContext());
    await expect(failure).rejects.toMatchObject({ name: 'EmailSendFailedError' });
    await expect(failure).rejects.not.toThrow(/ada@example.com/);
    const writes = dynamo.commandCalls(TransactWriteCommand);
    expect(writes).toHaveLength(2);
    expect(writes[1]!.args[0].input.TransactItems!.map((item) => Object.keys(item)[0])).toEqual(['Delete', 'Delete']);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });
});
