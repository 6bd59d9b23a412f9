import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../../../core/api-key';
import { handler } from '../../../functions/get-lead';
import { httpEvent, lambdaContext } from './events';

const dynamo = mockClient(DynamoDBDocumentClient);
const leadId = 'ld_AAAAAAAAAAAAAAAAAAAAAA';
const lead = {
  leadId,
  email: 'ada@example.com',
  profile: { firstName: 'Ada' },
  customFields: {},
  consent: true,
  stage: 'new',
  source: 'direct',
  attribution: {
    firstTouch: { at: 't', formId: 'default', source: 'direct' },
    lastTouch: { at: 't', formId: 'default', source: 'direct' },
  },
  touches: 1,
  engagement: [],
  stageChangedAt: '2026-01-01T00:00:00.000Z',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
};

function get(key: string | undefined, id = leadId) {
  return handler(
    httpEvent('GET /v1/leads/{leadId}', {
      pathParameters: { leadId: id },
      headers: key ? { authorization: `Bearer ${key}` } : {},
    }),
    lambdaContext(),
  );
}

function keyWith(scopes: string[]): string {
  const key = generateApiKey();
  dynamo.on(GetCommand, { Key: { pk: `APIKEY#${hashApiKey(key)}`, sk: 'APIKEY' } }).resolves({
    Item: { name: 'test', scopes, createdAt: '2026-01-01T00:00:00.000Z' },
  });
  return key;
}

beforeEach(() => {
  dynamo.on(GetCommand).resolves({});
  dynamo
    .on(GetCommand, { Key: { pk: `LEAD#${leadId}`, sk: 'LEAD' } })
    .resolves({ Item: { pk: `LEAD#${leadId}`, sk: 'LEAD', gsi1pk: 'STAGE#new', gsi1sk: 'x', ...lead } });
});

afterEach(() => {
  dynamo.reset();
});

describe('get-lead', () => {
  it('returns the lead without storage keys to a key with leads:read', async () => {
    const result = await get(keyWith(['leads:read']));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!)).toEqual(lead);
  });

  it('answers 401 without a key or with an unknown key', async () => {
    expect((await get(undefined)).statusCode).toBe(401);
    const unknown = await get(generateApiKey());
    expect(unknown.statusCode).toBe(401);
    expect(JSON.parse(unknown.body!).error.code).toBe('unauthorized');
  });

  it('answers 403 for a key without leads:read', async () => {
    const result = await get(keyWith(['metrics:read']));
    expect(result.statusCode).toBe(403);
    expect(JSON.parse(result.body!).error.message).toMatch(/leads:read/);
  });

  it('answers 404 for an unknown or malformed lead id', async () => {
    const key = keyWith(['admin']);
    expect((await get(key, 'ld_BBBBBBBBBBBBBBBBBBBBBB')).statusCode).toBe(404);
    expect((await get(key, '../../etc')).statusCode).toBe(404);
  });
});
