import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MessageRejected, SESv2Client, SendEmailCommand, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { DeleteCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { planCapture } from '../../../core/capture';
import { suppressionHash } from '../../../core/erasure';
import { lifecycleConfigSchema, planStep } from '../../../core/lifecycle';
import { defaultScoringRules } from '../../../core/scoring';
import { validateSubmission } from '../../../core/submission';
import { lambdaContext } from './events';
import { FakeTable } from './fake-table';

/**
 * Claim -> send -> confirm, driven through the workflow steps that send email, against an
 * in-memory table that keeps its items from one invocation to the next, as a retried step finds
 * them. A crash is an invocation that never gets past one call (its promise never settles, like a
 * runtime that was killed there): nothing after that point runs, and the step is then run again.
 */

const dynamo = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);
const secrets = mockClient(SecretsManagerClient);
const SALT = 'suppression-salt-for-tests-0123456789';
const lifecycle = { owners: [{ name: 'Sam', email: 'sam@example.com' }], manager: { name: 'Morgan', email: 'morgan@example.com' } };

let sendRetentionEmail: typeof import('../../../functions/send-retention-email').handler;
let sendFollowUp: typeof import('../../../functions/send-follow-up').handler;

beforeAll(async () => {
  // What the bundler puts in the code (infra/constructs/lifecycle-config.ts); the table holds no edited one.
  vi.stubGlobal('LEADFLOW_DEPLOYED_LIFECYCLE_CONFIG', Buffer.from(JSON.stringify(lifecycle)).toString('base64'));
  vi.stubEnv('SENDER_EMAIL', 'sales@example.com');
  vi.stubEnv('CONFIGURATION_SET_NAME', 'leadflow');
  vi.stubEnv(
    'EMAIL_TEMPLATES',
    JSON.stringify({ 'thank-you': 'LeadflowThankYou', 'prospect-check-in': 'LeadflowCheckIn', 'owner-reminder': 'LeadflowReminder' }),
  );
  vi.stubEnv('SUPPRESSION_SALT_SECRET_ARN', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:SuppressionSalt');
  // The check-in is marketing: its unsubscribe link is sealed with the link key and points at the API.
  vi.stubEnv('LINK_SIGNING_KEY_SECRET_ARN', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:LinkSigningKey');
  vi.stubEnv('PUBLIC_API_URL', 'https://api.leadflow.test');
  ({ handler: sendRetentionEmail } = await import('../../../functions/send-retention-email'));
  ({ handler: sendFollowUp } = await import('../../../functions/send-follow-up'));
});

const captured = planCapture(
  undefined,
  validateSubmission({ email: 'ada@example.com', firstName: 'Ada', consent: 'true' }),
  { formId: 'default' },
  new Date('2026-03-01T00:00:00Z'),
  defaultScoringRules,
  {},
  { leadId: 'ld_testLeadIdFromTheKey00' },
).lead;
const owner = { name: 'Sam', email: 'sam@example.com' };
const won = {
  ...captured,
  stage: 'won' as const,
  owner,
  deal: { value: 100, currency: 'USD', wonAt: '2026-03-09T00:00:00.000Z' },
  version: 5,
};
const presenting = { ...captured, stage: 'presentation' as const, owner, stageChangedAt: '2026-03-02T00:00:00.000Z', version: 3 };

let table: FakeTable;
const leadKey = { pk: `LEAD#${captured.leadId}`, sk: 'LEAD' };
const hang = () => new Promise<never>(() => undefined);
const retention = () => sendRetentionEmail({ leadId: captured.leadId, email: 'thank-you' }, lambdaContext());

const claims = () => table.where((item) => item.pk === leadKey.pk && String(item.sk).startsWith('EMAIL#'));
const history = (type: string) => table.where((item) => item.pk === leadKey.pk && item.type === type);
const sends = () => ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input.Destination?.ToAddresses?.[0]);

/** Waits (a few milliseconds at most) until `reached` holds. */
async function until(reached: () => boolean): Promise<void> {
  for (let waited = 0; !reached(); waited++) {
    if (waited > 200) throw new Error('the invocation never got there');
    await sleep(1);
  }
}

/** Starts an invocation and abandons it once `reached` holds: whatever it awaits there never returns (the runtime died). */
async function crashWhen(invocation: () => Promise<unknown>, reached: () => boolean): Promise<void> {
  void invocation().catch(() => undefined);
  await until(reached);
}

beforeEach(() => {
  table = new FakeTable();
  table.install(dynamo);
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SALT });
  let sent = 0;
  ses.on(SendEmailCommand).callsFake(() => Promise.resolve({ MessageId: `m-${++sent}` }));
});

afterEach(() => {
  dynamo.reset();
  ses.reset();
  secrets.reset();
});

describe('emails: claim, send, confirm', () => {
  it('claims, sends, then confirms: the claim becomes sent with the MessageId, with one email_sent entry carrying it', async () => {
    table.put({ ...leadKey, ...won });
    expect(await retention()).toEqual({ sent: true });

    expect(sends()).toEqual(['ada@example.com']);
    expect(claims()).toEqual([expect.objectContaining({ state: 'sent', messageId: 'm-1', attempts: 1, sentAt: expect.any(String) })]);
    expect(history('email_sent')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ template: 'thank-you', messageId: 'm-1' }) }),
    ]);
    // The claim is written alone, before the send; the confirm is the transaction of the claim and the entry.
    const [confirm] = dynamo.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
    expect(confirm!.map((item) => Object.keys(item)[0])).toEqual(['Update', 'Put']);
    expect(confirm![0]!.Update!.ConditionExpression).toBe('#state = :claimed');
    expect(dynamo.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('sends the email on the retry when the runtime died after the claim and before the send', async () => {
    table.put({ ...leadKey, ...won });
    // The first attempt claims, then dies while checking the suppression list: SES is never called.
    table.interrupt('GetCommand', hang, (input) => (input.Key as { pk: string }).pk.startsWith('SUPPRESSED#'));
    await crashWhen(retention, () => claims().length === 1);
    await sleep(5);
    expect(sends()).toEqual([]);
    expect(claims()).toEqual([expect.objectContaining({ state: 'claimed', attempts: 1 })]);
    expect(history('email_sent')).toEqual([]);

    expect(await retention()).toEqual({ sent: true });
    expect(sends()).toEqual(['ada@example.com']);
    expect(claims()).toEqual([expect.objectContaining({ state: 'sent', attempts: 2, messageId: 'm-1' })]);
    expect(history('email_sent')).toHaveLength(1);
  });

  it('sends it a second time when the runtime died after SES accepted it and before the confirm (the known at-least-once window)', async () => {
    table.put({ ...leadKey, ...won });
    table.interrupt('TransactWriteCommand', hang);
    await crashWhen(retention, () => dynamo.commandCalls(TransactWriteCommand).length === 1);
    expect(sends()).toEqual(['ada@example.com']);
    expect(claims()).toEqual([expect.objectContaining({ state: 'claimed' })]);

    expect(await retention()).toEqual({ sent: true });
    // SendEmail has no idempotency token: the retry cannot know SES accepted the first one.
    expect(sends()).toEqual(['ada@example.com', 'ada@example.com']);
    expect(claims()).toEqual([expect.objectContaining({ state: 'sent', attempts: 2, messageId: 'm-2' })]);
    expect(history('email_sent')).toEqual([expect.objectContaining({ data: expect.objectContaining({ messageId: 'm-2' }) })]);
  });

  it('retries a throttled confirm in-process, so SES is called once and one email_sent is written', async () => {
    table.put({ ...leadKey, ...won });
    const throttled = () => Promise.reject(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    table.interrupt('TransactWriteCommand', throttled);
    table.interrupt('TransactWriteCommand', throttled);
    table.interrupt('TransactWriteCommand', throttled);

    expect(await retention()).toEqual({ sent: true });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(4);
    expect(sends()).toHaveLength(1);
    expect(claims()).toEqual([expect.objectContaining({ state: 'sent', messageId: 'm-1' })]);
    expect(history('email_sent')).toHaveLength(1);
  });

  it('counts a confirm that landed although its call timed out: the next try finds it settled by itself', async () => {
    table.put({ ...leadKey, ...won });
    table.interrupt('TransactWriteCommand', async (run) => {
      await run();
      throw Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    });
    expect(await retention()).toEqual({ sent: true });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(2);
    expect(claims()).toEqual([expect.objectContaining({ state: 'sent', messageId: 'm-1' })]);
    expect(history('email_sent')).toHaveLength(1);
  });

  it('gives up a confirm that keeps failing and fails the step: the email stays claimed, so its retry sends again', async () => {
    table.put({ ...leadKey, ...won });
    for (let i = 0; i < 4; i++) {
      table.interrupt('TransactWriteCommand', () =>
        Promise.reject(new ProvisionedThroughputExceededException({ message: 'no', $metadata: {} })),
      );
    }
    await expect(retention()).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(claims()).toEqual([expect.objectContaining({ state: 'claimed' })]);
    expect(await retention()).toEqual({ sent: true });
    expect(sends()).toHaveLength(2);
    expect(history('email_sent')).toHaveLength(1);
  });

  it('marks nothing sent when SES fails (throttling, outage), and the retry sends it exactly once', async () => {
    table.put({ ...leadKey, ...won });
    ses.on(SendEmailCommand).rejectsOnce(new TooManyRequestsException({ message: 'Too many requests for ada@example.com', $metadata: {} }));

    const failure = retention();
    await expect(failure).rejects.toMatchObject({ name: 'EmailSendFailedError' });
    await expect(failure).rejects.not.toThrow(/ada@example.com/);
    expect(claims()).toEqual([expect.objectContaining({ state: 'claimed', attempts: 1 })]);
    expect(history('email_sent')).toEqual([]);
    expect(dynamo.commandCalls(DeleteCommand)).toHaveLength(0);

    ses.on(SendEmailCommand).resolves({ MessageId: 'm-retry' });
    expect(await retention()).toEqual({ sent: true });
    expect(await retention()).toEqual({ sent: false });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(2);
    expect(claims()).toEqual([expect.objectContaining({ state: 'sent', attempts: 2, messageId: 'm-retry' })]);
    expect(history('email_sent')).toHaveLength(1);
  });

  it('sends nothing to a suppressed recipient: the claim becomes suppressed with an email_suppressed entry, and a retry does nothing', async () => {
    table.put({ ...leadKey, ...won });
    table.put({ pk: `SUPPRESSED#${suppressionHash('ada@example.com', SALT)}`, sk: 'SUPPRESSED', reason: 'erased' });

    expect(await retention()).toEqual({ sent: false });
    expect(await retention()).toEqual({ sent: false });
    expect(sends()).toEqual([]);
    expect(claims()).toEqual([expect.objectContaining({ state: 'suppressed', attempts: 1 })]);
    expect(history('email_suppressed')).toEqual([expect.objectContaining({ data: expect.objectContaining({ template: 'thank-you' }) })]);
    expect(history('email_sent')).toEqual([]);
  });

  it('sends nothing when a retried step finds the email sent, or claimed the old way (no state: written with its email_sent)', async () => {
    table.put({ ...leadKey, ...won });
    expect(await retention()).toEqual({ sent: true });
    expect(await retention()).toEqual({ sent: false });
    expect(sends()).toHaveLength(1);

    for (const item of claims()) table.put({ pk: item.pk, sk: item.sk, entryId: 'old', at: '2026-03-09T00:00:00.000Z' });
    expect(await retention()).toEqual({ sent: false });
    expect(sends()).toHaveLength(1);
  });

  it('keeps one email_sent entry when two attempts overlap (a timed-out Lambda still running): the first confirm wins', async () => {
    table.put({ ...leadKey, ...won });
    let releaseFirst: (value: { MessageId: string }) => void = () => undefined;
    ses
      .on(SendEmailCommand)
      .callsFake(() =>
        ses.commandCalls(SendEmailCommand).length === 1
          ? new Promise((resolve) => (releaseFirst = resolve))
          : Promise.resolve({ MessageId: 'm-second' }),
      );
    const first = retention();
    await until(() => ses.commandCalls(SendEmailCommand).length === 1);

    expect(await retention()).toEqual({ sent: true });
    releaseFirst({ MessageId: 'm-first' });
    expect(await first).toEqual({ sent: true });

    expect(sends()).toHaveLength(2);
    expect(claims()).toEqual([expect.objectContaining({ state: 'sent', attempts: 2, messageId: 'm-second' })]);
    expect(history('email_sent')).toEqual([expect.objectContaining({ data: expect.objectContaining({ messageId: 'm-second' }) })]);
  });

  it('does not bring back a claim an erasure deleted while the email was on its way', async () => {
    table.put({ ...leadKey, ...won });
    let releaseSend: (value: { MessageId: string }) => void = () => undefined;
    ses.on(SendEmailCommand).callsFakeOnce(() => new Promise((resolve) => (releaseSend = resolve)));
    const attempt = retention();
    await until(() => ses.commandCalls(SendEmailCommand).length === 1);
    for (const item of claims()) table.items.delete(`${String(item.pk)}|${String(item.sk)}`);
    releaseSend({ MessageId: 'm-1' });
    expect(await attempt).toEqual({ sent: true });
    expect(claims()).toEqual([]);
    expect(history('email_sent')).toEqual([]);
  });
});

describe('send-follow-up', () => {
  it('delivers a check-in whose first attempt died before the send exactly once, and the owner reminder after it', async () => {
    table.put({ ...leadKey, ...presenting });
    const step = planStep('presentation', 0, lifecycleConfigSchema.parse(lifecycle));
    expect(step.onTimeout).toEqual(['check-in-prospect', 'remind-owner']);
    const followUp = () => sendFollowUp({ leadId: captured.leadId, executionStartedAt: new Date().toISOString(), step }, lambdaContext());
    table.interrupt('GetCommand', hang, (input) => (input.Key as { pk: string }).pk.startsWith('SUPPRESSED#'));
    await crashWhen(followUp, () => claims().length === 1);
    expect(sends()).toEqual([]);

    await followUp();
    await followUp();
    expect(sends()).toEqual(['ada@example.com', 'sam@example.com']);
    expect(history('email_sent').map((entry) => (entry.data as { template: string }).template)).toEqual([
      'prospect-check-in',
      'owner-reminder',
    ]);
  });

  it('fails on SES rejection without marking anything sent; the retry delivers it once', async () => {
    table.put({ ...leadKey, ...presenting });
    const step = planStep('presentation', 0, lifecycleConfigSchema.parse(lifecycle));
    ses.on(SendEmailCommand).rejectsOnce(new MessageRejected({ message: 'rejected', $metadata: {} }));
    await expect(
      sendFollowUp({ leadId: captured.leadId, executionStartedAt: new Date().toISOString(), step }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'EmailSendFailedError' });
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-ok' });
    await sendFollowUp({ leadId: captured.leadId, executionStartedAt: new Date().toISOString(), step }, lambdaContext());
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(3);
    expect(history('email_sent')).toHaveLength(2);
  });

  it('sends the check-in as marketing: one-click unsubscribe headers, the link in the data, marked on its entry', async () => {
    table.put({ ...leadKey, ...presenting });
    const step = planStep('presentation', 0, lifecycleConfigSchema.parse(lifecycle));
    await sendFollowUp({ leadId: captured.leadId, executionStartedAt: new Date().toISOString(), step }, lambdaContext());
    const checkIn = ses.commandCalls(SendEmailCommand)[0]!.args[0].input.Content!.Template!;
    const url = (JSON.parse(checkIn.TemplateData!) as { unsubscribeUrl: string }).unsubscribeUrl;
    expect(url).toMatch(/^https:\/\/api\.leadflow\.test\/v1\/unsubscribe\?token=v1\./);
    expect(url).not.toContain(captured.leadId);
    expect(checkIn.Headers).toEqual([
      { Name: 'List-Unsubscribe', Value: `<${url}>` },
      { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
    ]);
    expect(history('email_sent')[0]).toMatchObject({ data: { template: 'prospect-check-in', marketing: true } });
    // The owner's reminder is not marketing.
    expect(ses.commandCalls(SendEmailCommand)[1]!.args[0].input.Content!.Template!.Headers).toBeUndefined();
  });

  it('skips the check-in to a lead without consent, or unsubscribed, and records the skip once however often the step runs', async () => {
    table.put({ ...leadKey, ...presenting, consent: false, consentRecords: [] });
    const step = planStep('presentation', 0, lifecycleConfigSchema.parse(lifecycle));
    const followUp = () => sendFollowUp({ leadId: captured.leadId, executionStartedAt: new Date().toISOString(), step }, lambdaContext());
    await followUp();
    await followUp();
    expect(sends()).toEqual(['sam@example.com']);
    expect(history('email_skipped')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ template: 'prospect-check-in', reason: 'no_consent', marketing: true }) }),
    ]);

    table.put({
      ...leadKey,
      ...presenting,
      consent: false,
      unsubscribedAt: '2026-03-03T00:00:00.000Z',
      stageChangedAt: '2026-03-04T00:00:00.000Z',
    });
    await followUp();
    expect(history('email_skipped').map((entry) => (entry.data as { reason: string }).reason)).toEqual(['no_consent', 'unsubscribed']);
  });
});
