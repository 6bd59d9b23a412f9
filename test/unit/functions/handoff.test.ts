import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { planCapture } from '../../../core/capture';
import type { Lead } from '../../../core/lead';
import { defaultScoringRules } from '../../../core/scoring';
import { validateSubmission } from '../../../core/submission';
import { moveLead } from '../../../core/transitions';
import { lambdaContext } from './events';

const dynamo = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const ses = mockClient(SESv2Client);
const secrets = mockClient(SecretsManagerClient);

let changeLead: typeof import('../../../functions/shared/lead-changes').changeLead;
let followLeadChanges: typeof import('../../../functions/follow-lead-changes').handler;

const owners = [
  { name: 'Sam', email: 'sam@example.com' },
  { name: 'Kim', email: 'kim@example.com' },
];

beforeAll(async () => {
  vi.stubGlobal(
    'LEADFLOW_DEPLOYED_LIFECYCLE_CONFIG',
    Buffer.from(JSON.stringify({ owners, manager: { name: 'Morgan', email: 'morgan@example.com' } })).toString('base64'),
  );
  vi.stubEnv('SENDER_EMAIL', 'sales@example.com');
  vi.stubEnv('CONFIGURATION_SET_NAME', 'leadflow');
  vi.stubEnv('EMAIL_TEMPLATES', JSON.stringify({ 'owner-assigned': 'LeadflowOwnerAssigned' }));
  vi.stubEnv('SUPPRESSION_SALT_SECRET_ARN', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:SuppressionSalt');
  ({ changeLead } = await import('../../../functions/shared/lead-changes'));
  ({ handler: followLeadChanges } = await import('../../../functions/follow-lead-changes'));
});

const strong = {
  email: 'ada@example.com',
  firstName: 'Ada',
  company: 'Ada Systems',
  jobTitle: 'VP Engineering',
  companySize: '201-1000',
  industry: 'Software',
  country: 'United States',
  budget: '$25k-$100k',
  timeline: 'This quarter',
};
const leadOf = (leadId: string): Lead =>
  planCapture(
    undefined,
    validateSubmission(strong),
    { formId: 'default' },
    new Date('2026-03-01T00:00:00Z'),
    defaultScoringRules,
    {},
    {
      leadId,
    },
  ).lead;
const lead = leadOf('ld_testLeadIdFromTheKey00');
const nurturing: Lead = { ...lead, stage: 'nurturing', version: 2 };
const toQualified = (current: Lead) => {
  const { lead: moved, entry } = moveLead(current, { stage: 'qualified', currency: 'USD' }, 'api-key:rep', new Date());
  return { lead: moved, entries: [entry] };
};
const counterKey = { pk: 'COUNTER#owners', sk: 'COUNTER' };
const cancelled = (codes: string[]) =>
  new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });

function leadsAre(leads: Lead[]) {
  for (const item of leads) {
    dynamo
      .on(GetCommand, { Key: { pk: `LEAD#${item.leadId}`, sk: 'LEAD' } })
      .resolves({ Item: { pk: `LEAD#${item.leadId}`, sk: 'LEAD', ...item } });
  }
}

beforeEach(() => {
  secrets.on(GetSecretValueCommand).resolves({ SecretString: 'suppression-salt-for-tests-0123456789' });
  dynamo.on(GetCommand).resolves({});
});

afterEach(() => {
  dynamo.reset();
  sfn.reset();
  ses.reset();
  secrets.reset();
});

describe('an owner on every entry to qualified (lead-changes)', () => {
  it('takes the counter slot it read, in the lead write, and retries from a fresh read when another assignment took it', async () => {
    leadsAre([nurturing]);
    dynamo
      .on(GetCommand, { Key: counterKey })
      .resolvesOnce({ Item: { assigned: 6 } })
      .resolves({ Item: { assigned: 7 } });
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['ConditionalCheckFailed', 'None', 'None']))
      .resolves({});

    const { lead: stored } = await changeLead(nurturing.leadId, toQualified);

    const writes = dynamo.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
    expect(writes).toHaveLength(2);
    expect(writes.map((items) => items[0]!.Update?.ExpressionAttributeValues)).toEqual([
      { ':next': 7, ':assigned': 6 },
      { ':next': 8, ':assigned': 7 },
    ]);
    expect(stored.owner).toEqual(owners[1]);
    expect(writes[1]![1]!.Put!.Item).toMatchObject({ stage: 'qualified', owner: owners[1] });
  });

  it('a retried step whose write already happened finds the owner and takes no slot', async () => {
    leadsAre([{ ...nurturing, stage: 'qualified', owner: owners[0]!, version: 3 }]);
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await changeLead(nurturing.leadId, (current) => (current.stage === 'nurturing' ? toQualified(current) : undefined));
    expect(result.change).toBeUndefined();
    expect(dynamo.commandCalls(GetCommand, { Key: counterKey })).toHaveLength(0);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('keeps an owner the lead has (no counter read, no counter write)', async () => {
    leadsAre([{ ...nurturing, owner: owners[0]! }]);
    dynamo.on(TransactWriteCommand).resolves({});
    const { lead: stored } = await changeLead(nurturing.leadId, toQualified);
    expect(stored.owner).toEqual(owners[0]);
    const items = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items.some((item) => item.Update)).toBe(false);
  });

  it('20 concurrent assignments take 20 distinct slots: the counter condition makes the losers retry', async () => {
    const leads = Array.from({ length: 20 }, (_, index) => ({
      ...leadOf(`ld_concurrentLead${String(index).padStart(5, '0')}`),
      stage: 'nurturing' as const,
    }));
    leadsAre(leads);
    let assigned = 0;
    dynamo.on(GetCommand, { Key: counterKey }).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      return { Item: assigned === 0 ? undefined : { assigned } };
    });
    dynamo.on(TransactWriteCommand).callsFake(async (input: TransactWriteCommandInput) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      const counter = input.TransactItems!.find((item) => item.Update)!.Update!;
      const expected = (counter.ExpressionAttributeValues as Record<string, number>)[':assigned'] ?? 0;
      if (expected !== assigned) throw cancelled(['ConditionalCheckFailed', 'None', 'None']);
      assigned = (counter.ExpressionAttributeValues as Record<string, number>)[':next']!;
      return {};
    });

    const stored = await Promise.all(leads.map((item) => changeLead(item.leadId, toQualified)));

    expect(assigned).toBe(20);
    const counts = new Map<string, number>();
    for (const { lead: owned } of stored) counts.set(owned.owner!.email, (counts.get(owned.owner!.email) ?? 0) + 1);
    expect([...counts.values()]).toEqual([10, 10]);
  });
});

function streamEvent(before: Lead, after: Lead): DynamoDBStreamEvent {
  const image = (item: Lead) => marshall({ pk: `LEAD#${item.leadId}`, sk: 'LEAD', ...item }, { removeUndefinedValues: true });
  return {
    Records: [
      {
        eventName: 'MODIFY',
        dynamodb: {
          Keys: { pk: { S: `LEAD#${after.leadId}` }, sk: { S: 'LEAD' } },
          OldImage: image(before) as never,
          NewImage: image(after) as never,
          SequenceNumber: '100',
        },
      },
    ],
  };
}

describe('follow-lead-changes', () => {
  const qualified: Lead = { ...lead, stage: 'qualified', owner: owners[0]!, version: 3 };
  const presentation: Lead = { ...qualified, stage: 'presentation', version: 4 };
  const waitIs = (item: Record<string, unknown>) =>
    dynamo.on(GetCommand, { Key: { pk: `LEAD#${lead.leadId}`, sk: 'WORKFLOW' } }).resolves({ Item: item });

  it('resumes the workflow waiting in the old stage with the new stage step', async () => {
    waitIs({ taskToken: 'token-1', stage: 'qualified' });
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(await followLeadChanges(streamEvent(qualified, presentation), lambdaContext())).toEqual({ batchItemFailures: [] });
    const resumed = sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input;
    expect(resumed.taskToken).toBe('token-1');
    expect(JSON.parse(resumed.output!)).toMatchObject({ stage: 'presentation', next: 'await' });
  });

  it('does not resume a wait parked for an operator, nor one already at the new stage', async () => {
    waitIs({ taskToken: 'token-1', stage: 'qualified', kind: 'attention' });
    await followLeadChanges(streamEvent(qualified, presentation), lambdaContext());
    dynamo.reset();
    dynamo.on(GetCommand).resolves({});
    waitIs({ taskToken: 'token-2', stage: 'presentation' });
    await followLeadChanges(streamEvent(qualified, presentation), lambdaContext());
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('fails the record (the stream retries it) when the resume fails, and is fine with a used token', async () => {
    waitIs({ taskToken: 'token-1', stage: 'qualified' });
    sfn.on(SendTaskSuccessCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    expect(await followLeadChanges(streamEvent(qualified, presentation), lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: '100' }],
    });
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('used'), { name: 'TaskTimedOut' }));
    expect(await followLeadChanges(streamEvent(qualified, presentation), lambdaContext())).toEqual({ batchItemFailures: [] });
  });

  it("emails a lead's new owner with the score breakdown and the playbook, claimed once", async () => {
    // Claim (one attempt), send, confirm.
    dynamo.on(UpdateCommand).resolves({ Attributes: { state: 'claimed', attempts: 1 } });
    dynamo.on(TransactWriteCommand).resolves({});
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const moved = { ...nurturing, stage: 'qualified' as const, owner: owners[1]!, version: 3 };
    expect(await followLeadChanges(streamEvent(nurturing, moved), lambdaContext())).toEqual({ batchItemFailures: [] });
    const sent = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(sent.Destination?.ToAddresses).toEqual(['kim@example.com']);
    const data = JSON.parse(sent.Content!.Template!.TemplateData!) as Record<string, unknown>;
    expect(data).toMatchObject({ ownerName: 'Kim', stage: 'qualified', scoreTotal: String(lead.score!.total), grade: lead.score!.grade });
    expect((data.scoreLines as string[]).length).toBe(lead.score!.breakdown.length);
    expect((data.playbook as string[]).length).toBeGreaterThan(0);
  });

  it('hands a nurtured lead whose new score qualifies to sales, with its owner in the same write', async () => {
    const before: Lead = { ...nurturing, score: { ...nurturing.score!, total: 10, scoredAt: '2026-03-01T00:00:00.000Z' } };
    const after: Lead = { ...nurturing, version: 3 };
    leadsAre([after]);
    dynamo.on(GetCommand, { Key: counterKey }).resolves({ Item: { assigned: 1 } });
    dynamo.on(TransactWriteCommand).resolves({});
    expect(await followLeadChanges(streamEvent(before, after), lambdaContext())).toEqual({ batchItemFailures: [] });
    const items = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items[0]!.Update).toMatchObject({ Key: counterKey, ExpressionAttributeValues: { ':next': 2, ':assigned': 1 } });
    expect(items[1]!.Put!.Item).toMatchObject({ stage: 'qualified', owner: owners[1] });
    expect(items[2]!.Put!.Item).toMatchObject({
      type: 'stage_changed',
      actor: 'handoff',
      data: { from: 'nurturing', to: 'qualified', owner: 'kim@example.com' },
    });
    expect((items[2]!.Put!.Item as { data: { reason: string } }).data.reason).toMatch(/meets the qualify decision under rules/);
  });
});
