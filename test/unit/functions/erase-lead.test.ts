import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { planCapture, touchEntries } from '../../../core/capture';
import { leadIdFor } from '../../../core/lead';
import { suppressionHash } from '../../../core/erasure';
import { keys } from '../../../core/keys';
import { defaultScoringRules } from '../../../core/scoring';
import { validateSubmission } from '../../../core/submission';
import { httpEvent, lambdaContext } from './events';

const dynamo = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);
const SALT = 'suppression-salt-for-tests-0123456789';
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:LeadLifecycle';

let handler: typeof import('../../../functions/erase-lead').handler;
beforeAll(async () => {
  vi.stubEnv('STATE_MACHINE_ARN', MACHINE);
  vi.stubEnv('SUPPRESSION_SALT_SECRET_ARN', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:SuppressionSalt');
  ({ handler } = await import('../../../functions/erase-lead'));
});

const lead = planCapture(
  undefined,
  validateSubmission({ email: 'ada@example.com', firstName: 'Ada' }),
  { formId: 'default' },
  new Date('2026-03-01T00:00:00Z'),
  defaultScoringRules,
  {},
  { leadId: leadIdFor('ada@example.com', 'unit-test-lead-id-key') },
).lead;
const [captured] = touchEntries(undefined, lead);

/** The lead's partition as the Query answers it. */
function partitionIs(...items: Array<Record<string, unknown>>) {
  dynamo.on(QueryCommand).resolves({ Items: items });
}
const leadItem = { ...keys.lead(lead.leadId), ...lead };
const capturedItem = {
  ...keys.history(lead.leadId, captured!.at, captured!.entryId),
  ...keys.eventDay(lead.leadId, captured!.at, captured!.entryId),
  ...captured,
};

/** As the gateway passes it on, its authorizer having admitted an admin key named `dpo`. */
function erase() {
  return handler(
    httpEvent('DELETE /v1/leads/{leadId}', { pathParameters: { leadId: lead.leadId }, caller: { name: 'dpo', scopes: ['admin'] } }),
    lambdaContext(),
  );
}

beforeEach(() => {
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SALT });
  dynamo.on(GetCommand).resolves({});
  dynamo.on(PutCommand).resolves({});
  dynamo.on(TransactWriteCommand).resolves({});
  sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('no'), { name: 'ExecutionDoesNotExist' }));
  sfn.on(DescribeExecutionCommand, { executionArn: MACHINE.replace(':stateMachine:', ':execution:') + `:${lead.leadId}` }).resolves({
    status: 'RUNNING',
  });
  sfn.on(StopExecutionCommand).resolves({});
});

afterEach(() => {
  dynamo.reset();
  sfn.reset();
  secrets.reset();
});

describe('erase-lead', () => {
  it('suppresses the address, stops the workflow, deletes the partition and the lead last with the audit record', async () => {
    partitionIs(leadItem, capturedItem, { ...keys.workflow(lead.leadId), taskToken: 't', stage: 'new' });

    const result = await erase();

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!)).toMatchObject({
      leadId: lead.leadId,
      erased: { historyDeleted: 0, historyAnonymized: 1, workflowWaits: 1, executionsStopped: 1 },
    });
    // The keyed hash, never the address.
    const suppression = dynamo.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(suppression.pk).toBe(`SUPPRESSED#${suppressionHash('ada@example.com', SALT)}`);
    expect(JSON.stringify(suppression)).not.toContain('ada');
    expect(sfn.commandCalls(StopExecutionCommand)[0]!.args[0].input).toMatchObject({ error: 'LeadErased' });

    const [partition, last] = dynamo.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
    expect(partition!.map((item) => Object.keys(item)[0])).toEqual(['Delete', 'Put']);
    expect(last![0]!.Delete).toMatchObject({ Key: keys.lead(lead.leadId), ConditionExpression: 'version = :version' });
    const audit = last![1]!.Put!.Item!;
    expect(audit).toMatchObject({ action: 'lead_erased', leadId: lead.leadId, actor: 'api-key:dpo', counts: { lead: 1 } });
    expect(JSON.stringify(audit)).not.toMatch(/ada/i);
  });

  it('plans again when the lead changed before its deletion (a submission landed meanwhile)', async () => {
    partitionIs(leadItem, capturedItem);
    let leadDeletes = 0;
    dynamo.on(TransactWriteCommand).callsFake((input: { TransactItems: Array<{ Delete?: { Key: { sk: string } } }> }) => {
      if (input.TransactItems[0]?.Delete?.Key.sk === 'LEAD' && ++leadDeletes === 1) {
        throw new TransactionCanceledException({ message: 'x', $metadata: {}, CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] });
      }
      return {};
    });

    expect((await erase()).statusCode).toBe(200);
    expect(leadDeletes).toBe(2);
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(2);
  });

  it("answers 503 and erases nothing while the lead's latest submission is not in its history yet", async () => {
    partitionIs({ ...leadItem, touches: 2 }, capturedItem);
    const result = await erase();
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'retry-after': '1' });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });

  // A key without the admin scope never gets here: the gateway's authorizer refuses it (test/infra and the gdpr integration test).
  it('answers 404 for a lead that is not there (or already erased)', async () => {
    partitionIs();
    expect((await erase()).statusCode).toBe(404);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});
