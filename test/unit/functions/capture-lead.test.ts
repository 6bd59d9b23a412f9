import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/capture-lead';
import { hashApiKey } from '../../../core/api-key';
import { sealSecret } from '../../../core/secret-box';
import { signPayload } from '../../../core/signature';
import { httpEvent, lambdaContext } from './events';

const dynamo = mockClient(DynamoDBDocumentClient);
const secretsManager = mockClient(SecretsManagerClient);
const route = 'POST /v1/forms/{formId}/submissions';
const FORMS_KEY = 'forms-key-for-unit-tests';
const apiKey = 'lf_unit_test_writer_key';
const publicPost = { 'content-type': 'application/x-www-form-urlencoded' };
/** Keyed with leads:write: the synchronous path, which answers the lead id. */
const urlencoded = { ...publicPost, authorization: `Bearer ${apiKey}` };
process.env.LEAD_ID_KEY_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:lead-id-key';
process.env.FORM_SECRETS_KEY_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:forms-key';

let formCounter = 0;
let formId: string;

function formItem(extra: Record<string, unknown> = {}) {
  return {
    pk: `FORM#${formId}`,
    sk: 'FORM',
    formId,
    name: 'Test',
    allowedOrigins: ['https://www.acme.test'],
    honeypotField: '_gotcha',
    ...extra,
  };
}

function post(body: string, headers: Record<string, string> = urlencoded) {
  return handler(httpEvent(route, { pathParameters: { formId }, headers, body, path: `/v1/forms/${formId}/submissions` }), lambdaContext());
}

function json(result: Awaited<ReturnType<typeof handler>>) {
  return JSON.parse(result.body ?? '');
}

function cancelled(...codes: string[]) {
  return new TransactionCanceledException({
    message: 'cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

beforeEach(() => {
  // A fresh form id per test, so the per-container form cache never leaks between tests.
  formId = `form-${++formCounter}`;
  dynamo.on(GetCommand).resolves({});
  dynamo.on(GetCommand, { Key: { pk: `FORM#${formId}`, sk: 'FORM' } }).resolves({ Item: formItem() });
  dynamo
    .on(GetCommand, { Key: { pk: `APIKEY#${hashApiKey(apiKey)}`, sk: 'APIKEY' } })
    .resolves({ Item: { keyId: 'key_unitTestWriterKey01', name: 'crm', scopes: ['leads:write'], createdAt: '2026-01-01T00:00:00.000Z' } });
  secretsManager.on(GetSecretValueCommand, { SecretId: process.env.LEAD_ID_KEY_SECRET_ARN }).resolves({ SecretString: 'lead-id-key' });
  secretsManager.on(GetSecretValueCommand, { SecretId: process.env.FORM_SECRETS_KEY_SECRET_ARN }).resolves({ SecretString: FORMS_KEY });
});

afterEach(() => {
  dynamo.reset();
  secretsManager.reset();
});

describe('capture-lead, public', () => {
  it('accepts a public submission with one write of the submission and answers only its id, reading no lead', async () => {
    dynamo.on(PutCommand).resolves({});
    const result = await post('email=Ada%40Example.com&firstName=Ada', publicPost);
    expect(result.statusCode).toBe(202);
    const body = json(result);
    expect(body).toEqual({ submissionId: expect.stringMatching(/^sb_[A-Za-z0-9_-]{22}$/) });
    const [write, ...others] = dynamo.commandCalls(PutCommand);
    expect(others).toHaveLength(0);
    expect(write!.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: `SUBMISSION#${body.submissionId}`, policy: 'fill-blanks', submission: { email: 'Ada@Example.com', firstName: 'Ada' } },
    });
    expect(dynamo.commandCalls(GetCommand).filter((call) => String(call.args[0].input.Key?.pk).startsWith('LEAD#'))).toHaveLength(0);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('replays a retried public submission with the same Idempotency-Key, and refuses the key for another body', async () => {
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    dynamo.on(GetCommand, { ConsistentRead: true }).callsFake(() => ({
      Item: { ...dynamo.commandCalls(PutCommand)[0]!.args[0].input.Item },
    }));
    const first = await post('email=ada%40example.com', { ...publicPost, 'idempotency-key': 'k-1' });
    expect(first.statusCode).toBe(202);
    const again = await post('email=ada%40example.com', { ...publicPost, 'idempotency-key': 'k-1' });
    expect(json(again)).toEqual(json(first));
    dynamo.on(GetCommand, { ConsistentRead: true }).resolves({
      Item: { ...dynamo.commandCalls(PutCommand)[0]!.args[0].input.Item, requestHash: 'another' },
    });
    const reused = await post('email=bob%40example.com', { ...publicPost, 'idempotency-key': 'k-1' });
    expect(reused.statusCode).toBe(422);
  });

  it('refuses a bad API key instead of treating the submission as public', async () => {
    const result = await post('email=ada%40example.com', { ...publicPost, authorization: 'Bearer lf_nope' });
    expect(result.statusCode).toBe(401);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('capture-lead, keyed or signed', () => {
  it('stores a new lead with one conditional write and answers 202', async () => {
    dynamo.on(PutCommand).resolves({});
    const result = await post('email=Ada%40Example.com&firstName=Ada&utm_source=LinkedIn');

    expect(result.statusCode).toBe(202);
    const body = json(result);
    expect(body).toEqual({ submissionId: expect.stringMatching(/^sb_/), leadId: expect.stringMatching(/^ld_/), duplicate: false });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
    const [write] = dynamo.commandCalls(PutCommand);
    expect(write!.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: `LEAD#${body.leadId}`, email: 'ada@example.com', stage: 'new', source: 'linkedin', touches: 1 },
    });
  });

  it('updates the existing lead when the email is known and says duplicate', async () => {
    const existing = {
      pk: 'LEAD#x',
      sk: 'LEAD',
      leadId: 'ld_AAAAAAAAAAAAAAAAAAAAAA',
      email: 'ada@example.com',
      profile: { company: 'Old' },
      customFields: {},
      consent: false,
      stage: 'qualified',
      source: 'ads',
      attribution: { firstTouch: { at: 't', formId, source: 'ads' }, lastTouch: { at: 't', formId, source: 'ads' } },
      touches: 1,
      engagement: [],
      stageChangedAt: '2026-01-01T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      version: 3,
    };
    dynamo
      .on(PutCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }))
      .resolves({});
    dynamo.on(GetCommand, { ConsistentRead: true, Key: { sk: 'LEAD' } }).resolves({ Item: existing });

    const result = await post('email=ada%40example.com&company=New');

    expect(json(result)).toMatchObject({ duplicate: true });
    const writes = dynamo.commandCalls(PutCommand);
    expect(writes).toHaveLength(2);
    const leadPut = writes[1]!.args[0].input;
    expect(leadPut.ConditionExpression).toBe('version = :previous');
    expect(leadPut.ExpressionAttributeValues).toEqual({ ':previous': 3 });
    expect(leadPut.Item).toMatchObject({ stage: 'qualified', touches: 2, version: 4, profile: { company: 'New' } });
  });

  it('writes the idempotency record with the lead in one transaction', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await post('email=ada%40example.com', { ...urlencoded, 'idempotency-key': 'submit-1' });
    expect(result.statusCode).toBe(202);
    const items = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    // The record, its reference in the lead's partition (an erasure finds it there), the lead.
    expect(items.map((item) => item.Put!.Item!.sk)).toEqual(['IDEMPOTENCY', items[0]!.Put!.Item!.pk, 'LEAD']);
    expect(items[1]!.Put!.Item).toMatchObject({ pk: items[2]!.Put!.Item!.pk, expiresAt: items[0]!.Put!.Item!.expiresAt });
    expect(items[0]!.Put!.Item).toMatchObject({ status: 202, body: json(result), expiresAt: expect.any(Number) });
  });

  it('replays the first answer when the Idempotency-Key was used, without writing again', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'None'));
    const body = 'email=ada%40example.com';
    // The stored record is what the first request wrote: find its hash from the first attempt.
    dynamo.on(GetCommand, { ConsistentRead: true, Key: { sk: 'IDEMPOTENCY' } }).callsFake(() => {
      const idem = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![0]!.Put!.Item!;
      return { Item: { ...idem, body: { submissionId: 'sb_first', leadId: 'ld_first_answer_xxxxxxxx', duplicate: false } } };
    });

    const result = await post(body, { ...urlencoded, 'idempotency-key': 'submit-42' });

    expect(result.statusCode).toBe(202);
    expect(json(result)).toEqual({ submissionId: 'sb_first', leadId: 'ld_first_answer_xxxxxxxx', duplicate: false });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('refuses a reused Idempotency-Key with a different body (422)', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'None'));
    dynamo.on(GetCommand, { ConsistentRead: true, Key: { sk: 'IDEMPOTENCY' } }).resolves({
      Item: { requestHash: 'another', status: 202, body: { leadId: 'x', duplicate: false } },
    });
    const result = await post('email=ada%40example.com', { ...urlencoded, 'idempotency-key': 'submit-42' });
    expect(result.statusCode).toBe(422);
    expect(json(result).error.code).toBe('idempotency_key_reused');
  });

  it('retries a transaction conflict and then succeeds', async () => {
    dynamo.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'TransactionConflict')).resolves({});
    const result = await post('email=ada%40example.com', { ...urlencoded, 'idempotency-key': 'submit-2' });
    expect(result.statusCode).toBe(202);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('drops a filled honeypot silently: counted, answered like a capture, no lead written', async () => {
    dynamo.on(UpdateCommand).resolves({});
    const result = await post('email=bot%40spam.test&_gotcha=http%3A%2F%2Fspam');
    expect(result.statusCode).toBe(202);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      Key: { pk: `FORM#${formId}`, sk: 'STATS' },
      UpdateExpression: 'ADD spamDropped :one',
    });
  });

  it('redirects a browser form post with 303 when the form has a redirect URL', async () => {
    dynamo.on(GetCommand, { Key: { pk: `FORM#${formId}`, sk: 'FORM' } }).resolves({
      Item: formItem({ redirectUrl: 'https://www.acme.test/thanks' }),
    });
    dynamo.on(PutCommand).resolves({});
    const result = await post('email=ada%40example.com', { ...publicPost, accept: 'text/html,*/*' });
    expect(result.statusCode).toBe(303);
    expect(result.headers?.location).toMatch(/^https:\/\/www\.acme\.test\/thanks\?submissionId=sb_[A-Za-z0-9_-]{22}$/);
  });

  it('answers CORS preflight for allowed origins only', async () => {
    const allowed = await handler(
      httpEvent('OPTIONS /v1/forms/{formId}/submissions', { pathParameters: { formId }, headers: { origin: 'https://www.acme.test' } }),
      lambdaContext(),
    );
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers?.['access-control-allow-origin']).toBe('https://www.acme.test');
    const other = await handler(
      httpEvent('OPTIONS /v1/forms/{formId}/submissions', { pathParameters: { formId }, headers: { origin: 'https://evil.test' } }),
      lambdaContext(),
    );
    expect(other.headers?.['access-control-allow-origin']).toBeUndefined();
  });

  it('requires a valid signature on a signed form', async () => {
    const secret = 'whsec_0123456789abcdef';
    const sealed = sealSecret(FORMS_KEY, `leadflow:form:${formId}:signingSecret`, secret);
    dynamo.on(GetCommand, { Key: { pk: `FORM#${formId}`, sk: 'FORM' } }).resolves({ Item: formItem({ encryptedSigningSecret: sealed }) });
    dynamo.on(PutCommand).resolves({});
    const body = 'email=ada%40example.com';

    const unsigned = await post(body, publicPost);
    expect(unsigned.statusCode).toBe(401);
    expect(json(unsigned).error.code).toBe('invalid_signature');

    const signed = await post(body, { ...publicPost, 'leadflow-signature': signPayload(secret, body, Math.floor(Date.now() / 1000)) });
    expect(signed.statusCode).toBe(202);
    // Signed: trusted, stored on its lead now, and told which.
    expect(json(signed)).toMatchObject({ leadId: expect.stringMatching(/^ld_/), duplicate: false });
  });

  it('answers 404 for an unknown form and 400 with details for a bad email, writing nothing', async () => {
    const unknown = await handler(
      httpEvent(route, { pathParameters: { formId: 'nope' }, headers: urlencoded, body: 'email=a%40b.co' }),
      lambdaContext(),
    );
    expect(unknown.statusCode).toBe(404);
    const bad = await post('email=nope');
    expect(bad.statusCode).toBe(400);
    expect(json(bad).error).toEqual({
      code: 'validation_failed',
      message: 'the submission has invalid fields',
      details: [{ path: 'email', message: 'is not a valid email address' }],
    });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('hides internal failures behind a generic 500', async () => {
    dynamo.on(PutCommand).rejects(new Error('connect ECONNREFUSED 10.0.0.1:443 secret-detail'));
    const result = await post('email=ada%40example.com');
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('secret-detail');
    expect(json(result).error.code).toBe('internal_error');
  });

  it('answers 503 with Retry-After when the table throttles, without echoing the store', async () => {
    dynamo
      .on(PutCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} }));
    const result = await post('email=ada%40example.com');
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('1');
    expect(json(result).error.code).toBe('temporarily_unavailable');
    expect(result.body).not.toMatch(/Throughput|Provisioned/);
  });

  it('retries a lead changed by every other writer, then answers 503 rather than 500 when it never gets through', async () => {
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const result = await post('email=ada%40example.com');
    expect(result.statusCode).toBe(503);
    expect(dynamo.commandCalls(PutCommand).length).toBe(20);
  });
});
