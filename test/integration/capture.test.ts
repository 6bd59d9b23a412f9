import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { signPayload } from '../../core/signature';
import {
  admin,
  apiUrl,
  captureLead,
  captureTouches,
  eventually,
  findLead,
  json,
  keyed,
  leadPartition,
  postForm,
  postJson,
  uniqueEmail,
  unknownLeadId,
} from './helpers';

const secret = 'whsec_integration_0123456789';
const signedForm = `signed-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  const created = await admin('PUT', `/v1/forms/${signedForm}`, { name: 'Signed partner webhook', signingSecret: secret });
  expect(created.status).toBe(200);
});

async function leadOf(leadId: string) {
  const response = await admin('GET', `/v1/leads/${leadId}`);
  expect(response.status).toBe(200);
  return json(response);
}

describe('capture over HTTP', () => {
  it('stores a plain urlencoded form post and the lead is readable through the API', async () => {
    const email = uniqueEmail('form');
    const response = await postForm(
      'default',
      new URLSearchParams({
        email,
        first_name: 'Ada',
        last_name: 'Lovelace',
        company: 'Analytical Engines',
        job_title: 'CTO',
        utm_source: 'LinkedIn',
        utm_campaign: 'launch',
        _gotcha: '',
      }).toString(),
    );
    expect(response.status).toBe(202);
    const body = await json(response);
    expect(body).toEqual({ submissionId: expect.stringMatching(/^sb_[A-Za-z0-9_-]{22}$/) });

    const found = await eventually('the lead', () => findLead(email));
    const lead = await leadOf(found.leadId);
    // Its workflow may have routed it already by the time the stream has folded it in.
    expect(['new', 'nurturing', 'qualified']).toContain(lead.stage);
    expect(lead).toMatchObject({
      email,
      source: 'linkedin',
      touches: 1,
      profile: { firstName: 'Ada', lastName: 'Lovelace', company: 'Analytical Engines', jobTitle: 'CTO' },
      attribution: { firstTouch: { source: 'linkedin', campaign: 'launch', formId: 'default' } },
    });
  });

  it('stores a JSON post', async () => {
    const email = uniqueEmail('json');
    const { leadId } = await captureLead('default', { email, firstName: 'Grace', companySize: '201-1000', consent: true });
    const lead = await leadOf(leadId);
    expect(lead).toMatchObject({ email, consent: true, profile: { firstName: 'Grace', companySize: '201-1000' } });
  });

  it('gives the same email the same lead, records the second touch and keeps first-touch attribution (keyed: overwrite)', async () => {
    const email = uniqueEmail('twice');
    const first = await json(postJson('default', { email, utm_source: 'google' }, keyed()));
    const second = await json(postJson('default', { email: email.toUpperCase(), utm_source: 'newsletter', company: 'Acme' }, keyed()));
    expect(second).toEqual({ submissionId: expect.stringMatching(/^sb_/), leadId: first.leadId, duplicate: true });

    const lead = await leadOf(first.leadId);
    expect(lead).toMatchObject({ touches: 2, source: 'google', profile: { company: 'Acme' } });
    expect(lead.attribution.lastTouch.source).toBe('newsletter');
    // The history follows the one durable write through the table stream.
    const touches = await captureTouches(first.leadId, 2);
    expect(touches.map((entry) => entry.type)).toEqual(['captured', 'resubmitted']);
  });

  it('makes one lead and one effect from the same Idempotency-Key sent 20 times at once', async () => {
    const email = uniqueEmail('idem');
    const body = new URLSearchParams({ email, company: 'Retry Inc' }).toString();
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 20 }, () => postForm('default', body, { 'idempotency-key': key })));
    const answers = await Promise.all(responses.map((response) => json(response)));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(202));
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(Object.keys(answers[0])).toEqual(['submissionId']);

    const { leadId } = await eventually('the lead', () => findLead(email));
    await captureTouches(leadId, 1);
    // Give a redelivered or late submission time to show up as a second touch.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const items = await leadPartition(leadId);
    expect(items.filter((item) => item.sk === 'LEAD')).toHaveLength(1);
    // One capture touch; later history entries are the lead's workflow routing it.
    expect(items.filter((item) => ['captured', 'resubmitted'].includes(String(item.type)))).toHaveLength(1);
    expect(items.find((item) => item.sk === 'LEAD')).toMatchObject({ touches: 1 });
  });

  it('takes 20 different submissions for one address at once without a 5xx: one lead, 20 touches', async () => {
    const email = uniqueEmail('crowd');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postForm('default', new URLSearchParams({ email, company: `Crowd ${String(i)}` }).toString())),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(202));
    const { leadId } = await eventually('the lead', () => findLead(email));
    const touches = await captureTouches(leadId, 20);
    expect(touches).toHaveLength(20);
    const lead = (await leadPartition(leadId)).find((item) => item.sk === 'LEAD');
    expect(lead).toMatchObject({ touches: 20 });
  });

  it('records 20 engagement events sent at once on one lead without a 5xx, each once', async () => {
    const email = uniqueEmail('events');
    const { leadId } = await captureLead('default', { email });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => admin('POST', `/v1/leads/${leadId}/events`, { type: 'page_visit', properties: { n: i } })),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(202));
    const lead = (await leadPartition(leadId)).find((item) => item.sk === 'LEAD') as { engagement: unknown[] };
    expect(lead.engagement.filter((event) => (event as { type: string }).type === 'page_visit')).toHaveLength(20);
  });

  it('refuses to reuse an Idempotency-Key for a different submission', async () => {
    const key = randomUUID();
    expect((await postJson('default', { email: uniqueEmail() }, { 'idempotency-key': key })).status).toBe(202);
    const reused = await postJson('default', { email: uniqueEmail() }, { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect((await json(reused)).error.code).toBe('idempotency_key_reused');
  });

  it('sends a browser form post to the thank-you page with 303', async () => {
    const email = uniqueEmail('browser');
    const response = await postForm('default', new URLSearchParams({ email }).toString(), { accept: 'text/html' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${inject('siteUrl')}/thanks.html`);
    expect([...location.searchParams.keys()]).toEqual(['submissionId']);
    expect(location.searchParams.get('submissionId')).toMatch(/^sb_[A-Za-z0-9_-]{22}$/);
  });

  it('answers CORS preflight for the landing page origin and not for others', async () => {
    const preflight = (origin: string) =>
      fetch(`${apiUrl()}/v1/forms/default/submissions`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const allowed = await preflight(inject('siteUrl'));
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(inject('siteUrl'));
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('drops honeypot spam silently: 202, nothing stored, counted on the form', async () => {
    const before: number = (await json(admin('GET', '/v1/forms/default'))).stats.spamDropped;
    const email = uniqueEmail('bot');
    const response = await postForm('default', new URLSearchParams({ email, _gotcha: 'https://spam.example' }).toString());
    expect(response.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await findLead(email)).toBeUndefined();
    const after = (await json(admin('GET', '/v1/forms/default'))).stats.spamDropped;
    expect(after).toBe(before + 1);
  });

  it('accepts a correctly signed post on a signed form', async () => {
    const body = JSON.stringify({ email: uniqueEmail('signed') });
    const response = await postForm(signedForm, body, {
      'content-type': 'application/json',
      'leadflow-signature': signPayload(secret, body, Math.floor(Date.now() / 1000)),
    });
    expect(response.status).toBe(202);
  });
});

describe('bad input gets a 4xx JSON error and stores nothing', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: Array<{ name: string; status: number; code: string; send: (email: string) => Promise<Response> }> = [
    { name: 'no email', status: 400, code: 'validation_failed', send: () => postForm('default', 'first_name=Ada') },
    { name: 'a bad email', status: 400, code: 'validation_failed', send: () => postForm('default', 'email=ada%40') },
    {
      name: 'a body over 64 KiB',
      status: 413,
      code: 'payload_too_large',
      send: (email) => postForm('default', new URLSearchParams({ email, message: 'x'.repeat(70_000) }).toString()),
    },
    {
      name: 'another media type',
      status: 415,
      code: 'unsupported_media_type',
      send: (email) => postForm('default', `email=${email}`, { 'content-type': 'text/plain' }),
    },
    {
      name: 'broken JSON',
      status: 400,
      code: 'validation_failed',
      send: (email) => postForm('default', `{"email":"${email}"`, { 'content-type': 'application/json' }),
    },
    { name: 'an unknown form', status: 404, code: 'not_found', send: (email) => postJson('no-such-form', { email }) },
    {
      name: 'a missing signature',
      status: 401,
      code: 'invalid_signature',
      send: (email) => postJson(signedForm, { email }),
    },
    {
      name: 'a wrong signature',
      status: 401,
      code: 'invalid_signature',
      send: (email) => {
        const body = JSON.stringify({ email });
        return postForm(signedForm, body, {
          'content-type': 'application/json',
          'leadflow-signature': signPayload('not-the-secret-at-all', body, now()),
        });
      },
    },
    {
      name: 'a stale signature',
      status: 401,
      code: 'invalid_signature',
      send: (email) => {
        const body = JSON.stringify({ email });
        return postForm(signedForm, body, {
          'content-type': 'application/json',
          'leadflow-signature': signPayload(secret, body, now() - 301),
        });
      },
    },
    {
      name: 'a 10,000-character field',
      status: 400,
      code: 'validation_failed',
      send: (email) => postJson('default', { email, company: 'x'.repeat(10_000) }),
    },
    {
      name: 'NUL bytes',
      status: 400,
      code: 'validation_failed',
      send: (email) => postForm('default', `email=${encodeURIComponent(email)}&company=Ac%00me`),
    },
    {
      name: 'a JSON array body',
      status: 400,
      code: 'validation_failed',
      send: (email) => postForm('default', JSON.stringify([{ email }]), { 'content-type': 'application/json' }),
    },
    {
      name: 'a malformed Idempotency-Key',
      status: 400,
      code: 'validation_failed',
      send: (email) => postJson('default', { email }, { 'idempotency-key': 'has spaces in it' }),
    },
  ];

  it.each(cases)('$name -> $status', async ({ status, code, send }) => {
    const email = uniqueEmail('bad');
    const response = await send(email);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await json(response);
    expect(body.error).toMatchObject({ code, message: expect.any(String), details: expect.any(Array) });
    expect(await findLead(email)).toBeUndefined();
  });

  it('never refuses a lead over field names: multipart, repeated names and nested JSON all make the lead', async () => {
    const viaMultipart = uniqueEmail('multipart');
    const multipart = await postForm('default', `--x\r\nContent-Disposition: form-data; name="email"\r\n\r\n${viaMultipart}\r\n--x--`, {
      'content-type': 'multipart/form-data; boundary=x',
    });
    expect(multipart.status).toBe(202);

    const repeated = uniqueEmail('repeated');
    const twice = await postForm('default', `email=${encodeURIComponent(repeated)}&email=other%40example.com&interest=a&interest=b`);
    expect(twice.status).toBe(202);
    const nested = uniqueEmail('nested');
    const object = await postJson('default', { email: nested, company: { name: 'Acme' } });
    expect(object.status).toBe(202);

    const leadOf = (email: string) => eventually(`the lead for ${email}`, () => findLead(email));
    expect(await leadOf(viaMultipart)).toMatchObject({ email: viaMultipart });
    expect(await leadOf(repeated)).toMatchObject({ email: repeated, customFields: { email: 'other@example.com', interest: 'a, b' } });
    expect(await leadOf(nested)).toMatchObject({ email: nested, customFields: { 'company.name': 'Acme' } });
  });

  it('names every bad field in the details', async () => {
    const response = await postJson('default', { email: 'nope', phone: 'call me', company: 'x'.repeat(300) });
    const { error } = await json(response);
    expect(error.details.map((detail: { path: string }) => detail.path).sort()).toEqual(['company', 'email', 'phone']);
  });
});

describe('API keys', () => {
  it('answers 401 without a key, 401 with a wrong key and 403 without the scope', async () => {
    const leadId = unknownLeadId();
    expect((await fetch(`${apiUrl()}/v1/leads/${leadId}`)).status).toBe(401);
    expect((await admin('GET', `/v1/leads/${leadId}`, undefined, 'lf_wrong')).status).toBe(401);
    const issued = await admin('POST', '/v1/api-keys', { name: 'metrics dashboard', scopes: ['metrics:read'] });
    expect(issued.status).toBe(201);
    const { key } = await json(issued);
    const forbidden = await admin('GET', `/v1/leads/${leadId}`, undefined, key);
    expect(forbidden.status).toBe(403);
    expect(await json(forbidden)).toEqual({ message: 'Forbidden' });
  });

  it('answers health without a key', async () => {
    const response = await fetch(`${apiUrl()}/health`);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ status: 'ok' });
  });
});
