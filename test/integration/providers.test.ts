import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { admin, apiUrl, eventually, json, findLead } from './helpers';

/** A provider's documented example body, byte for byte. */
function fixture(provider: string, file: string): string {
  return readFileSync(new URL(`../fixtures/providers/${provider}/${file}`, import.meta.url), 'utf8');
}

const hmac = (secret: string, data: string, encoding: 'hex' | 'base64') => createHmac('sha256', secret).update(data).digest(encoding);
const base64url = (text: string) => Buffer.from(text).toString('base64url');

interface Delivery {
  body: string | Buffer;
  contentType: string;
  /** Headers the provider adds, signature included, for the form's secret. */
  headers: (secret: string) => Record<string, string>;
  /** Providers that cannot sign carry the form's token in the URL. */
  token?: boolean;
  email: string;
  profile?: Record<string, string>;
}

function jsonDelivery(provider: string, file: string, sign: (secret: string, body: string) => Record<string, string>) {
  const body = fixture(provider, file);
  return { body, contentType: 'application/json', headers: (secret: string) => sign(secret, body) };
}

function multipart(fields: Array<[string, string]>): { body: Buffer; contentType: string } {
  const boundary = '----leadflowProviderTest7MA4YWxk';
  const parts = fields.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  return { body: Buffer.from(`${parts.join('')}--${boundary}--\r\n`), contentType: `multipart/form-data; boundary=${boundary}` };
}

const jotform = JSON.parse(fixture('jotform', 'assembled-from-documented-fields.json')) as Record<string, string>;
const jotformBody = multipart(Object.entries(jotform));

/** Each provider's documented delivery, signed as the provider signs it, and the lead it must give. */
const deliveries: Record<string, Delivery> = {
  typeform: {
    ...jsonDelivery('typeform', 'form-response.json', (secret, body) => ({
      'typeform-signature': `sha256=${hmac(secret, body, 'base64')}`,
    })),
    email: 'laura@example.com',
    profile: { firstName: 'Laura' },
  },
  tally: {
    ...jsonDelivery('tally', 'form-response.json', (secret, body) => ({ 'tally-signature': hmac(secret, body, 'base64') })),
    email: 'alice@example.com',
    profile: { phone: '+32491223344' },
  },
  webflow: {
    ...jsonDelivery('webflow', 'form-submission.json', (secret, body) => {
      const timestamp = String(Date.now());
      return { 'x-webflow-timestamp': timestamp, 'x-webflow-signature': hmac(secret, `${timestamp}:${body}`, 'hex') };
    }),
    email: 'zaphod@heartofgold.ai',
    profile: { firstName: 'Zaphod', lastName: 'Beeblebrox' },
  },
  hubspot: {
    ...jsonDelivery('hubspot', 'forms-submit-v3.json', () => ({})),
    token: true,
    email: 'example@example.com',
    profile: { firstName: 'Jeff' },
  },
  unbounce: {
    body: new URLSearchParams({
      page_id: 'a2838d98-4cf4-11df-a3fd-00163e372d58',
      page_url: 'http://my-landing-page.ca/',
      page_name: 'My Landing Page',
      variant: 'a',
      'data.json': fixture('unbounce', 'form-submit.data-json.json'),
    }).toString(),
    contentType: 'application/x-www-form-urlencoded',
    headers: () => ({}),
    token: true,
    email: 'test@test.com',
  },
  jotform: {
    ...jotformBody,
    headers: () => ({}),
    token: true,
    email: 'ada@example.com',
    profile: { lastName: 'Lovelace', company: 'Analytical Engines Ltd' },
  },
  netlify: {
    ...jsonDelivery('netlify', 'submission.assembled-from-documented-fields.json', (secret, body) => {
      const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
      const claims = base64url(JSON.stringify({ iss: 'netlify', sha256: createHash('sha256').update(body).digest('hex') }));
      const signature = createHmac('sha256', secret).update(`${header}.${claims}`).digest('base64url');
      return { 'x-webhook-signature': `${header}.${claims}.${signature}` };
    }),
    email: 'ada@example.com',
  },
  calendly: {
    ...jsonDelivery('calendly', 'invitee-created.json', (secret, body) => {
      const t = Math.floor(Date.now() / 1000);
      return { 'calendly-webhook-signature': `t=${String(t)},v1=${hmac(secret, `${String(t)}.${body}`, 'hex')}` };
    }),
    email: 'test@example.com',
    profile: { firstName: 'John', lastName: 'Doe' },
  },
};

const secret = 'provider-secret-0123456789abcdef';

function post(formId: string, delivery: Delivery, options: { secret?: string; body?: string | Buffer } = {}): Promise<Response> {
  const key = options.secret ?? secret;
  const query = delivery.token ? `?token=${encodeURIComponent(key)}` : '';
  return fetch(`${apiUrl()}/v1/forms/${formId}/submissions${query}`, {
    method: 'POST',
    headers: { 'content-type': delivery.contentType, ...delivery.headers(key) },
    body: options.body ?? delivery.body,
  });
}

describe.each(Object.entries(deliveries))('%s deliveries', (provider, delivery) => {
  const formId = `provider-${provider}`;

  it("turn the provider's documented body into the lead, verified with its signature scheme, once however often it is redelivered", async () => {
    const created = await admin('PUT', `/v1/forms/${formId}`, { name: `${provider} form`, provider, signingSecret: secret });
    expect(created.status, JSON.stringify(await created.clone().json())).toBe(200);

    // Delivered five times at once, as a provider retrying a slow answer does.
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(formId, delivery)));
    const bodies = await Promise.all(answers.map((answer) => answer.json() as Promise<{ leadId: string; duplicate: boolean }>));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);
    const leadIds = new Set(bodies.map((body) => body.leadId));
    expect(leadIds.size).toBe(1);

    const lead = await json(admin('GET', `/v1/leads/${bodies[0]!.leadId}`));
    expect(lead).toMatchObject({ email: delivery.email, profile: delivery.profile ?? {} });
    const touchesOfThisForm = async () =>
      (
        (await json(admin('GET', `/v1/leads/${bodies[0]!.leadId}/history?limit=500`))).entries as Array<{
          type: string;
          data: { formId: string };
        }>
      ).filter((entry) => ['captured', 'resubmitted'].includes(entry.type) && entry.data.formId === formId);
    await eventually('the touch', async () => ((await touchesOfThisForm()).length > 0 ? true : undefined));
    // The table stream has had time to write any second touch: there is none.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await touchesOfThisForm()).toHaveLength(1);
  });

  it('refuses a wrong secret or a tampered body with 401 and stores nothing', async () => {
    const wrong = await post(formId, delivery, { secret: 'another-secret-0123456789abcdef' });
    expect(wrong.status).toBe(401);
    expect((await json(wrong)).error.code).toBe('invalid_signature');
    if (!delivery.token) {
      // The signature was made for the documented body; the body sent names someone else.
      const tampered = typeof delivery.body === 'string' ? delivery.body.replace(delivery.email, 'mallory@example.net') : delivery.body;
      const answer = await fetch(`${apiUrl()}/v1/forms/${formId}/submissions`, {
        method: 'POST',
        headers: { 'content-type': delivery.contentType, ...delivery.headers(secret) },
        body: tampered,
      });
      expect(answer.status).toBe(401);
    }
    expect(await findLead('mallory@example.net')).toBeUndefined();
  });
});
