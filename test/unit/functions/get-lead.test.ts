import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
  consentRecords: [],
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

/** Keys and scopes are the gateway's (functions/authorize-request.ts): the function gets the admitted caller. */
function get(id = leadId) {
  return handler(
    httpEvent('GET /v1/leads/{leadId}', { pathParameters: { leadId: id }, caller: { name: 'test', scopes: ['leads:read'] } }),
    lambdaContext(),
  );
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
  it('returns the lead without storage keys', async () => {
    const result = await get();
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!)).toEqual(lead);
  });

  it('answers 404 for an unknown or malformed lead id', async () => {
    expect((await get('ld_BBBBBBBBBBBBBBBBBBBBBB')).statusCode).toBe(404);
    expect((await get('../../etc')).statusCode).toBe(404);
  });
});
