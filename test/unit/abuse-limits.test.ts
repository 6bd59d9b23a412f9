import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CaptchaFailedError, captchaSettingsSchema, takeCaptchaToken } from '../../core/captcha';
import { TemporarilyUnavailableError, TooManyRequestsError } from '../../core/errors';
import { DEFAULT_RATE_LIMIT, rateLimitSchema, rateWindow } from '../../core/rate-limit';
import { verifyCaptcha } from '../../functions/shared/captcha';
import { countSubmission } from '../../functions/shared/rate-limits';

describe('rate windows', () => {
  it('are whole minutes; Retry-After is the rest of the minute, at least a second', () => {
    expect(rateWindow(new Date('2026-12-01T10:15:00.000Z'))).toEqual({
      start: Date.parse('2026-12-01T10:15:00Z') / 1000,
      retryAfterSeconds: 60,
      expiresAt: Date.parse('2026-12-01T10:17:00Z') / 1000,
    });
    expect(rateWindow(new Date('2026-12-01T10:15:59.900Z')).retryAfterSeconds).toBe(1);
    expect(rateWindow(new Date('2026-12-01T10:15:42.000Z')).retryAfterSeconds).toBe(18);
  });

  it('limits default per form and per client, and refuse nonsense', () => {
    expect(rateLimitSchema.parse({})).toEqual(DEFAULT_RATE_LIMIT);
    expect(rateLimitSchema.safeParse({ perMinute: 0 }).success).toBe(false);
    expect(rateLimitSchema.safeParse({ perClientPerMinute: 2.5 }).success).toBe(false);
  });
});

describe('counting a submission against the limits', () => {
  const dynamo = mockClient(DynamoDBDocumentClient);
  const limits = { perMinute: 100, perClientPerMinute: 5 };
  const client = { address: '203.0.113.7', hashKey: 'k'.repeat(32) };
  const now = new Date('2026-12-01T10:15:42.000Z');
  const atLimit = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

  beforeEach(() => {
    dynamo.reset();
  });

  it('raises the form and the client counter of the current minute, each only below its limit', async () => {
    dynamo.on(UpdateCommand).resolves({});
    await countSubmission('contact', client, limits, now);
    const updates = dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates.map((update) => update.Key)).toEqual([
      { pk: `RATE#contact#${Date.parse('2026-12-01T10:15:00Z') / 1000}`, sk: 'FORM' },
      { pk: expect.stringMatching(new RegExp(`^RATE#contact#${Date.parse('2026-12-01T10:15:00Z') / 1000}#[\\w-]{22}$`)), sk: 'CLIENT' },
    ]);
    expect(updates.map((update) => update.ExpressionAttributeValues?.[':limit'])).toEqual([100, 5]);
    // The client is known by a keyed hash only: its address is nowhere in what is written.
    expect(JSON.stringify(updates)).not.toContain(client.address);
  });

  it('refuses a client over its limit with 429 and the seconds left in the minute', async () => {
    dynamo.on(UpdateCommand, { Key: { sk: 'FORM' } }).resolves({});
    dynamo.on(UpdateCommand, { Key: { sk: 'CLIENT' } }).rejects(atLimit);
    const refusal = await countSubmission('contact', client, limits, now).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TooManyRequestsError);
    expect(refusal).toMatchObject({ retryAfterSeconds: 18, message: expect.stringContaining('this client') });
  });

  it('refuses everyone once the form is at its limit', async () => {
    dynamo.on(UpdateCommand, { Key: { sk: 'FORM' } }).rejects(atLimit);
    dynamo.on(UpdateCommand, { Key: { sk: 'CLIENT' } }).resolves({});
    await expect(countSubmission('contact', client, limits, now)).rejects.toMatchObject({ message: expect.stringContaining('this form') });
  });

  it('lets a throttled table surface as the transient error it is (answered 503), not as a refusal', async () => {
    dynamo.on(UpdateCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(countSubmission('contact', client, limits, now)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});

describe('CAPTCHA', () => {
  let server: Server;
  let verifyUrl = '';
  const received: URLSearchParams[] = [];
  let answer: { status: number; body: string } = { status: 200, body: '{"success":true}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    verifyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/siteverify`;
  });

  afterAll(() => {
    server.close();
  });

  const settings = () => captchaSettingsSchema.parse({ provider: 'turnstile', secret: 'turnstile-secret', verifyUrl });

  it("takes the widget's token out of the submitted fields", () => {
    const fields: Array<[string, string]> = [
      ['email', 'ada@example.com'],
      ['cf-turnstile-response', ' token-1 '],
    ];
    expect(takeCaptchaToken(fields, 'turnstile')).toEqual({ token: 'token-1', rest: [['email', 'ada@example.com']] });
    expect(takeCaptchaToken(fields, 'hcaptcha').token).toBeUndefined();
  });

  it('sends the secret, the token and the client address to siteverify and accepts a success', async () => {
    answer = { status: 200, body: '{"success":true,"hostname":"example.com"}' };
    await verifyCaptcha(settings(), 'token-1', '203.0.113.7');
    expect(Object.fromEntries(received.at(-1)!)).toEqual({ secret: 'turnstile-secret', response: 'token-1', remoteip: '203.0.113.7' });
  });

  it('refuses a missing or rejected token with 403 captcha_failed', async () => {
    await expect(verifyCaptcha(settings(), undefined, undefined)).rejects.toBeInstanceOf(CaptchaFailedError);
    answer = { status: 200, body: '{"success":false,"error-codes":["timeout-or-duplicate"]}' };
    await expect(verifyCaptcha(settings(), 'used-token', undefined)).rejects.toMatchObject({ kind: 'forbidden', code: 'captcha_failed' });
  });

  it('answers 503 when siteverify is down or answers nonsense, so the visitor can retry', async () => {
    answer = { status: 502, body: 'bad gateway' };
    await expect(verifyCaptcha(settings(), 'token-1', undefined)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    answer = { status: 200, body: '{"ok":1}' };
    await expect(verifyCaptcha(settings(), 'token-1', undefined)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    const closed = captchaSettingsSchema.parse({ provider: 'hcaptcha', secret: 's', verifyUrl: 'http://127.0.0.1:9/siteverify' });
    await expect(verifyCaptcha(closed, 'token-1', undefined)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
  });

  it('accepts only http(s) verify URLs', () => {
    expect(captchaSettingsSchema.safeParse({ provider: 'hcaptcha', secret: 's', verifyUrl: 'file:///etc/passwd' }).success).toBe(false);
  });
});
