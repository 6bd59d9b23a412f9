import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateApiKey, hashApiKey } from '../../../core/api-key';
import { lambdaContext } from './events';

// Built at synth from api/routes.ts, read at module load like the deployed function's environment.
vi.hoisted(() => {
  process.env.ROUTE_SCOPES = JSON.stringify({ 'GET /v1/leads/{leadId}': 'leads:read', 'POST /v1/api-keys': 'admin' });
});
const { handler } = await import('../../../functions/authorize-request');

const dynamo = mockClient(DynamoDBDocumentClient);
const keyId = 'key_AAAAAAAAAAAAAAAAAAAAAAAA';

function stored(scopes: string[], extra: Record<string, string> = {}): string {
  const key = generateApiKey();
  dynamo.on(GetCommand, { Key: { pk: `APIKEY#${hashApiKey(key)}`, sk: 'APIKEY' } }).resolves({
    Item: { pk: `APIKEY#${hashApiKey(key)}`, sk: 'APIKEY', keyId, name: 'crm', scopes, createdAt: '2026-01-01T00:00:00.000Z', ...extra },
  });
  return key;
}

function authorize(key: string | undefined, routeKey = 'GET /v1/leads/{leadId}') {
  const event = {
    version: '2.0',
    type: 'REQUEST',
    routeKey,
    identitySource: [key ?? '', routeKey],
    headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
  } as unknown as APIGatewayRequestAuthorizerEventV2;
  return handler(event, lambdaContext('authorizer'));
}

afterEach(() => {
  dynamo.reset();
});

describe('authorize-request', () => {
  it('admits a key holding the route scope, with who it is as the context, after one consistent read', async () => {
    dynamo.on(GetCommand).resolves({});
    const key = stored(['leads:read']);
    await expect(authorize(key)).resolves.toEqual({ isAuthorized: true, context: { keyId, keyName: 'crm', scopes: 'leads:read' } });
    expect(dynamo.commandCalls(GetCommand).map((call) => call.args[0].input.ConsistentRead)).toEqual([true]);
    // Never cached in the function: the gateway's 1 s cache is the only one.
    await authorize(key);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('denies a key without the scope (403); admin holds every scope; an undeclared route is denied', async () => {
    dynamo.on(GetCommand).resolves({});
    const reader = stored(['leads:read']);
    expect((await authorize(reader, 'POST /v1/api-keys')).isAuthorized).toBe(false);
    expect((await authorize(stored(['admin']), 'POST /v1/api-keys')).isAuthorized).toBe(true);
    expect((await authorize(stored(['admin']), 'GET /v1/anything')).isAuthorized).toBe(false);
  });

  it('fails Unauthorized (401) for a missing, unknown, revoked or expired key', async () => {
    dynamo.on(GetCommand).resolves({});
    await expect(authorize(undefined)).rejects.toThrow(/^Unauthorized$/);
    await expect(authorize(generateApiKey())).rejects.toThrow(/^Unauthorized$/);
    await expect(authorize(stored(['admin'], { revokedAt: '2026-01-02T00:00:00.000Z' }))).rejects.toThrow(/^Unauthorized$/);
    await expect(authorize(stored(['admin'], { expiresAt: new Date(Date.now() - 1000).toISOString() }))).rejects.toThrow(/^Unauthorized$/);
    // Within a rotation's overlap it still works.
    expect((await authorize(stored(['admin'], { expiresAt: new Date(Date.now() + 60_000).toISOString() }))).isAuthorized).toBe(true);
  });
});
