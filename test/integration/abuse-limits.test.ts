import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { admin, eventually, findLead, json, keyed, postForm, postJson, uniqueEmail } from './helpers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rate windows are whole minutes: start a test with enough of the minute left that it cannot roll over mid-test. */
async function earlyInTheMinute(secondsNeeded = 15): Promise<void> {
  const left = 60 - new Date().getSeconds();
  if (left < secondsNeeded) await sleep(left * 1000 + 200);
}

async function recycleFunctions(): Promise<void> {
  const response = await fetch(`${inject('controlUrl')}/functions/recycle`, { method: 'POST' });
  expect(response.status).toBe(200);
}

describe('rate limits on public capture', () => {
  it('refuses a client past its limit with 429 and Retry-After, still after a restart; keyed submissions are not limited', async () => {
    const formId = `limited-${randomUUID().slice(0, 8)}`;
    const created = await admin('PUT', `/v1/forms/${formId}`, { name: 'Limited', rateLimit: { perMinute: 1000, perClientPerMinute: 3 } });
    expect(created.status).toBe(200);
    expect((await json(created)).rateLimit).toEqual({ perMinute: 1000, perClientPerMinute: 3 });
    await earlyInTheMinute();

    const statuses = [];
    for (let index = 0; index < 3; index++) statuses.push((await postJson(formId, { email: uniqueEmail('limited') })).status);
    expect(statuses).toEqual([202, 202, 202]);

    const refused = await postJson(formId, { email: uniqueEmail('limited-over') });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await json(refused)).error).toMatchObject({ code: 'rate_limited', message: expect.stringContaining('this client') });

    // The count lives in the table: a cold start of every function does not forget it.
    await recycleFunctions();
    expect((await postJson(formId, { email: uniqueEmail('limited-after-restart') })).status).toBe(429);

    // A keyed caller is trusted: its submissions are not counted against public limits.
    expect((await postJson(formId, { email: uniqueEmail('limited-keyed') }, keyed())).status).toBe(202);
  });

  it('refuses everyone once the form is at its own limit, and stores nothing for a refused submission', async () => {
    const formId = `busy-${randomUUID().slice(0, 8)}`;
    expect((await admin('PUT', `/v1/forms/${formId}`, { name: 'Busy', rateLimit: { perMinute: 2, perClientPerMinute: 100 } })).status).toBe(
      200,
    );
    await earlyInTheMinute();
    expect((await postJson(formId, { email: uniqueEmail('busy') })).status).toBe(202);
    expect((await postJson(formId, { email: uniqueEmail('busy') })).status).toBe(202);
    const email = uniqueEmail('busy-refused');
    const refused = await postJson(formId, { email });
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.message).toContain('this form');
    await sleep(1_500);
    expect(await findLead(email)).toBeUndefined();
  });

  it('refuses bad limits with 400', async () => {
    const answer = await admin('PUT', `/v1/forms/bad-limits-${randomUUID().slice(0, 8)}`, { name: 'Bad', rateLimit: { perMinute: 0 } });
    expect(answer.status).toBe(400);
    expect((await json(answer)).error.details).toEqual([expect.objectContaining({ path: 'rateLimit.perMinute' })]);
  });
});

describe('CAPTCHA on public capture', () => {
  /** Stands in for Cloudflare's siteverify: `good-token` passes once (tokens are single use), anything else fails. */
  let siteverify: Server;
  let verifyUrl = '';
  const checked: URLSearchParams[] = [];
  const used = new Set<string>();
  const formId = `captcha-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    siteverify = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        checked.push(form);
        const token = form.get('response') ?? '';
        const success = form.get('secret') === 'turnstile-test-secret' && token.startsWith('good-') && !used.has(token);
        used.add(token);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(success ? { success: true } : { success: false, 'error-codes': ['invalid-input-response'] }));
      });
    });
    await new Promise<void>((resolve) => siteverify.listen(0, '127.0.0.1', resolve));
    verifyUrl = `http://127.0.0.1:${(siteverify.address() as AddressInfo).port}/turnstile/v0/siteverify`;
    const created = await admin('PUT', `/v1/forms/${formId}`, {
      name: 'Protected',
      captcha: { provider: 'turnstile', secret: 'turnstile-test-secret', verifyUrl },
    });
    expect(created.status).toBe(200);
    // The secret is never shown again.
    expect(JSON.stringify(await json(created))).not.toContain('turnstile-test-secret');
  });

  afterAll(() => {
    siteverify.close();
  });

  it('takes a submission with a solved token, without keeping the token as lead data', async () => {
    const email = uniqueEmail('human');
    const response = await postForm(formId, new URLSearchParams({ email, 'cf-turnstile-response': 'good-1' }).toString());
    expect(response.status).toBe(202);
    expect(checked.at(-1)?.get('remoteip')).toBe('127.0.0.1');
    const lead = await eventually('the lead', () => findLead(email));
    expect(JSON.stringify(lead)).not.toContain('good-1');
  });

  it('refuses a missing, wrong or replayed token with 403 captcha_failed and stores nothing', async () => {
    const missing = uniqueEmail('bot');
    const noToken = await postForm(formId, new URLSearchParams({ email: missing }).toString());
    expect(noToken.status).toBe(403);
    expect((await json(noToken)).error.code).toBe('captcha_failed');
    const wrong = await postForm(formId, new URLSearchParams({ email: missing, 'cf-turnstile-response': 'forged' }).toString());
    expect(wrong.status).toBe(403);
    const replayed = await postForm(formId, new URLSearchParams({ email: missing, 'cf-turnstile-response': 'good-1' }).toString());
    expect(replayed.status).toBe(403);
    await sleep(1_500);
    expect(await findLead(missing)).toBeUndefined();
  });

  it('answers 503 with Retry-After when siteverify is unreachable, and lets trusted callers through without a token', async () => {
    const unreachable = `captcha-down-${randomUUID().slice(0, 8)}`;
    const created = await admin('PUT', `/v1/forms/${unreachable}`, {
      name: 'Verifier down',
      captcha: { provider: 'hcaptcha', secret: 'hcaptcha-test-secret', verifyUrl: 'http://127.0.0.1:9/siteverify' },
    });
    expect(created.status).toBe(200);
    const down = await postForm(
      unreachable,
      new URLSearchParams({ email: uniqueEmail('waiting'), 'h-captcha-response': 'any' }).toString(),
    );
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect((await postJson(unreachable, { email: uniqueEmail('keyed') }, keyed())).status).toBe(202);
  });

  it('refuses a CAPTCHA setting with a verify URL that is not http(s)', async () => {
    const answer = await admin('PUT', `/v1/forms/${formId}-bad`, {
      name: 'Bad',
      captcha: { provider: 'turnstile', secret: 's', verifyUrl: 'file:///etc/passwd' },
    });
    expect(answer.status).toBe(400);
  });
});
