import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { planCapture } from '../../../core/capture';
import { guardHour } from '../../../core/deliverability-guard';
import { suppressionHash } from '../../../core/erasure';
import { defaultScoringRules } from '../../../core/scoring';
import { InvalidSesEventError } from '../../../core/ses-events';
import { validateSubmission } from '../../../core/submission';
import { sesExamples, withTags, type SesExample } from '../../fixtures/ses-events';
import { lambdaContext } from './events';
import { FakeTable } from './fake-table';

/**
 * The SES events handler against an in-memory table that keeps its items between invocations, so
 * a redelivered event meets what the first delivery wrote.
 */

const dynamo = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);
const SALT = 'suppression-salt-for-tests-0123456789';
const ADDRESS = 'recipient@example.com';

let handler: typeof import('../../../functions/apply-email-events').handler;

beforeAll(async () => {
  vi.stubEnv('SUPPRESSION_SALT_SECRET_ARN', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:SuppressionSalt');
  ({ handler } = await import('../../../functions/apply-email-events'));
});

const lead = {
  ...planCapture(
    undefined,
    validateSubmission({ email: ADDRESS, firstName: 'Ada' }),
    { formId: 'default' },
    new Date(Date.now() - 86_400_000),
    defaultScoringRules,
    {},
    { leadId: 'ld_testLeadIdFromTheKey00' },
  ).lead,
  consent: true,
};
const leadKey = { pk: `LEAD#${lead.leadId}`, sk: 'LEAD' };
const campaignTags = { lead: lead.leadId, template: 'welcome', campaign: 'cmp_spring', step: '1' };

let table: FakeTable;

/** An AWS example event for a message leadflow sent now, tagged as leadflow tags it. */
function sesEvent<T extends SesExample>(example: T, options: { tags?: Record<string, string>; messageId?: string } = {}): T {
  const event = withTags(example, options.tags ?? campaignTags, options.messageId ?? 'msg-1');
  // Sent and reported now (engagement decays: AWS's 2017 open would be worth nothing today).
  const detail = event.detail as Record<string, { timestamp?: string }>;
  for (const part of Object.values(detail)) if (typeof part === 'object' && 'timestamp' in part) part.timestamp = new Date().toISOString();
  return event;
}
const apply = (event: unknown) => handler(event, lambdaContext());

const history = (type?: string) =>
  table.where((item) => item.pk === leadKey.pk && String(item.sk).startsWith('HISTORY#') && (!type || item.type === type));
const storedLead = () => table.get(leadKey)!;
const suppression = () => table.get({ pk: `SUPPRESSED#${suppressionHash(ADDRESS, SALT)}`, sk: 'SUPPRESSED' });
const campaignCount = (counter: string) =>
  table
    .where((item) => String(item.pk).startsWith('CAMPAIGN#cmp_spring#') && item.sk === 'STATS')
    .reduce((sum, item) => sum + Number(item[counter] ?? 0), 0);
const guardCount = (counter: string) =>
  table.where((item) => String(item.pk).startsWith('DELIVERABILITY#')).reduce((sum, item) => sum + Number(item[counter] ?? 0), 0);

beforeEach(() => {
  table = new FakeTable();
  table.install(dynamo);
  table.put({ ...leadKey, ...lead });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SALT });
});

afterEach(() => {
  dynamo.reset();
  secrets.reset();
});

describe('apply-email-events', () => {
  it('records a delivery once: the history entry, the campaign counter and the marker; a redelivery changes nothing', async () => {
    expect(await apply(sesEvent(sesExamples.delivery))).toEqual({ outcome: 'applied' });
    expect(history('email_delivered')).toEqual([
      expect.objectContaining({ actor: 'ses', data: { messageId: 'msg-1', campaignId: 'cmp_spring', step: 1 } }),
    ]);
    expect(campaignCount('delivered')).toBe(1);
    const after = structuredClone([...table.items.entries()]);

    expect(await apply(sesEvent(sesExamples.delivery))).toEqual({ outcome: 'already_applied' });
    expect([...table.items.entries()]).toEqual(after);
  });

  it('rescores the lead for an open and a click with the email_open and email_click rules, once per message however often SES reports it', async () => {
    const before = lead.score!.engagement;
    await apply(sesEvent(sesExamples.open));
    expect(storedLead().score).toMatchObject({ engagement: before + 2 });
    // SES reports every open; the lead is scored for the message's first.
    await apply(sesEvent(sesExamples.open));
    expect(storedLead().score).toMatchObject({ engagement: before + 2 });
    await apply(sesEvent(sesExamples.click));
    await apply(sesEvent(sesExamples.click));
    expect(storedLead().score).toMatchObject({ engagement: before + 2 + 5 });
    expect(history('email_opened')).toHaveLength(1);
    expect(history('email_clicked')).toHaveLength(1);
    expect(history('score_changed')).toHaveLength(2);
    expect(campaignCount('opened')).toBe(1);
    expect(campaignCount('clicked')).toBe(1);
  });

  it('suppresses a hard-bounced address before anything that can fail, and applies the rest on the retry', async () => {
    table.interrupt('TransactWriteCommand', () => Promise.reject(new Error('ProvisionedThroughputExceededException')));
    await expect(apply(sesEvent(sesExamples.bounce))).rejects.toThrow();
    expect(suppression()).toMatchObject({ reason: 'hard_bounce' });
    expect(history()).toEqual([]);

    await apply(sesEvent(sesExamples.bounce));
    expect(history('email_bounced')).toEqual([expect.objectContaining({ data: expect.objectContaining({ bounceType: 'Permanent' }) })]);
    expect(campaignCount('bounced')).toBe(1);
    expect(guardCount('bounced')).toBe(1);
    // The first suppression is kept (one put, conditional on absence).
    expect(dynamo.commandCalls(PutCommand).filter((call) => String(call.args[0].input.Item?.pk).startsWith('SUPPRESSED#'))).toHaveLength(2);
  });

  it('does not suppress a soft bounce, nor count it against the guard', async () => {
    const soft = sesEvent(sesExamples.bounce);
    soft.detail.bounce.bounceType = 'Transient';
    await apply(soft);
    expect(suppression()).toBeUndefined();
    expect(history('email_bounced')).toHaveLength(1);
    expect(guardCount('bounced')).toBe(0);
  });

  it('withdraws consent on a complaint and suppresses the address', async () => {
    await apply(sesEvent(sesExamples.complaint));
    expect(suppression()).toMatchObject({ reason: 'complaint' });
    expect(storedLead()).toMatchObject({ consent: false, version: lead.version + 1 });
    expect(history('email_complained')).toHaveLength(1);
    expect(history('consent_withdrawn')).toEqual([expect.objectContaining({ data: { via: 'complaint', messageId: 'msg-1' } })]);
    expect(campaignCount('complained')).toBe(1);
    await apply(sesEvent(sesExamples.complaint));
    expect(history('consent_withdrawn')).toHaveLength(1);
  });

  it('writes nothing on the lead for mail to the team, but counts its sends for the guard', async () => {
    await apply(sesEvent(sesExamples.send, { tags: { lead: lead.leadId, recipient: 'team' } }));
    await apply(sesEvent(sesExamples.delivery, { tags: { lead: lead.leadId, recipient: 'team' } }));
    expect(history()).toEqual([]);
    expect(guardCount('sent')).toBe(1);
    expect(storedLead().version).toBe(lead.version);
  });

  it('writes nothing for an erased lead (the address is still suppressed)', async () => {
    table.items.delete(`${leadKey.pk}|${leadKey.sk}`);
    expect(await apply(sesEvent(sesExamples.bounce))).toEqual({ outcome: 'no_lead' });
    expect(table.where((item) => item.pk === leadKey.pk)).toEqual([]);
    expect(suppression()).toBeDefined();
  });

  it('pauses the active campaigns when hard bounces reach 5% of at least 100 sends, and only then', async () => {
    table.put({ pk: 'CAMPAIGNS', sk: 'CAMPAIGN#cmp_active', campaignId: 'cmp_active', status: 'active' });
    table.put({ pk: 'CAMPAIGNS', sk: 'CAMPAIGN#cmp_draft', campaignId: 'cmp_draft', status: 'draft' });
    table.put({ pk: `DELIVERABILITY#${guardHour(new Date())}`, sk: 'SHARD#3', sent: 100, bounced: 3 });

    await apply(sesEvent(sesExamples.bounce, { messageId: 'msg-4' }));
    expect(table.get({ pk: 'CAMPAIGNS', sk: 'CAMPAIGN#cmp_active' })).toMatchObject({ status: 'active' });

    await apply(sesEvent(sesExamples.bounce, { messageId: 'msg-5' }));
    expect(table.get({ pk: 'CAMPAIGNS', sk: 'CAMPAIGN#cmp_active' })).toMatchObject({
      status: 'paused',
      pausedBy: 'deliverability-guard',
      pausedReason: 'deliverability guard: bounce rate 5% (limit 5%) over the last 100 sends',
    });
    expect(table.get({ pk: 'CAMPAIGNS', sk: 'CAMPAIGN#cmp_draft' })).toMatchObject({ status: 'draft' });
  });

  it('refuses what is not an SES event (it lands in the failure queue after the retries)', async () => {
    await expect(apply({ source: 'aws.ses', 'detail-type': 'Email Sent', detail: {} })).rejects.toThrow(InvalidSesEventError);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});
