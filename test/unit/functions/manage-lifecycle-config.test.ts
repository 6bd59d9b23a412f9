import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { httpEvent, lambdaContext } from './events';

const dynamo = mockClient(DynamoDBDocumentClient);
const CONFIG_KEY = { pk: 'CONFIG#lifecycle', sk: 'CURRENT' };
const deployedTeam = {
  owners: [{ name: 'Sam Rivera', email: 'sam.rivera@example.com' }],
  manager: { name: 'Morgan Lee', email: 'morgan.lee@example.com' },
};
const newTeam = {
  owners: [
    { name: 'Ada', email: 'ada@example.com' },
    { name: 'Grace', email: 'grace@example.com' },
  ],
  manager: { name: 'Linus', email: 'linus@example.com' },
  playbooks: { qualified: ['Call the champion first.'] },
};

let handler: typeof import('../../../functions/manage-lifecycle-config').handler;

beforeAll(async () => {
  vi.stubGlobal('LEADFLOW_DEPLOYED_LIFECYCLE_CONFIG', Buffer.from(JSON.stringify(deployedTeam)).toString('base64'));
  ({ handler } = await import('../../../functions/manage-lifecycle-config'));
});

function stored(item: Record<string, unknown> | undefined) {
  dynamo.on(GetCommand, { Key: CONFIG_KEY }).resolves({ Item: item && { ...CONFIG_KEY, ...item } });
}

async function call(method: 'GET' | 'PUT' | 'DELETE', options: { ifMatch?: string; body?: unknown } = {}) {
  const result: APIGatewayProxyStructuredResultV2 = await handler(
    httpEvent(`${method} /v1/lifecycle-config`, {
      headers: {
        ...(options.body !== undefined && { 'content-type': 'application/json' }),
        ...(options.ifMatch !== undefined && { 'if-match': options.ifMatch }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      caller: { name: 'ops', scopes: ['admin'] },
    }),
    lambdaContext(),
  );
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely and assert on them field by field
  return { status: result.statusCode, etag: result.headers?.etag, body: JSON.parse(result.body ?? '{}') as Record<string, any> };
}

const writes = () => dynamo.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);

beforeEach(() => {
  dynamo.on(TransactWriteCommand).resolves({});
});

afterEach(() => {
  dynamo.reset();
});

describe('GET /v1/lifecycle-config', () => {
  it("answers the deployment's configuration at version 0 while nothing is stored, read consistently", async () => {
    stored(undefined);
    const { status, etag, body } = await call('GET');
    expect(status).toBe(200);
    expect(etag).toBe('"0"');
    expect(body).toMatchObject({ source: 'deployed', version: 0, config: { owners: deployedTeam.owners } });
    expect(body.updatedAt).toBeUndefined();
    expect(dynamo.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({ Key: CONFIG_KEY, ConsistentRead: true });
  });

  it('answers the stored configuration with who changed it and when', async () => {
    stored({ version: 2, config: newTeam, updatedAt: '2026-03-01T00:00:00.000Z', updatedBy: 'api-key:ops' });
    const { status, etag, body } = await call('GET');
    expect(status).toBe(200);
    expect(etag).toBe('"2"');
    expect(body).toMatchObject({ source: 'stored', version: 2, updatedBy: 'api-key:ops', config: { owners: newTeam.owners } });
  });

  it('says why a stored document that fails the schema is not in effect', async () => {
    stored({ version: 5, config: { ...newTeam, owners: [] }, updatedAt: '2026-03-01T00:00:00.000Z', updatedBy: 'api-key:ops' });
    const { logger } = await import('../../../functions/shared/observability');
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const { body } = await call('GET');
    expect(logged).toHaveBeenCalledTimes(1);
    logged.mockRestore();
    expect(body).toMatchObject({ source: 'deployed', version: 5, config: { owners: deployedTeam.owners } });
    expect(body.problem).toMatch(/version 5 is invalid \(owners: /);
  });
});

describe('PUT /v1/lifecycle-config', () => {
  it('stores the first edit only if nothing was stored, with its change record, and answers it', async () => {
    stored(undefined);
    const { status, etag, body } = await call('PUT', { ifMatch: '"0"', body: newTeam });
    expect(status).toBe(200);
    expect(etag).toBe('"1"');
    expect(body).toMatchObject({ source: 'stored', version: 1, updatedBy: 'api-key:ops', config: { owners: newTeam.owners } });
    const [items] = writes();
    expect(items).toHaveLength(2);
    expect(items![0]!.Put).toMatchObject({
      Item: { ...CONFIG_KEY, version: 1, updatedBy: 'api-key:ops', config: { owners: newTeam.owners, playbooks: newTeam.playbooks } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(items![1]!.Put).toMatchObject({
      Item: { pk: 'CONFIG#lifecycle', sk: 'CHANGE#0000000001', version: 1, action: 'put', by: 'api-key:ops' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('replaces version n only while the item is still at n', async () => {
    stored({ version: 2, config: newTeam, updatedAt: '2026-03-01T00:00:00.000Z', updatedBy: 'api-key:ops' });
    const { status, body } = await call('PUT', { ifMatch: 'W/"2"', body: { ...newTeam, owners: newTeam.owners.slice(0, 1) } });
    expect(status).toBe(200);
    expect(body.version).toBe(3);
    expect(writes()[0]![0]!.Put).toMatchObject({
      Item: { version: 3 },
      ConditionExpression: 'version = :expected',
      ExpressionAttributeValues: { ':expected': 2 },
    });
  });

  it('answers 400 naming the bad field, and writes nothing', async () => {
    stored(undefined);
    const bad = { ...newTeam, owners: [{ name: 'Ada', email: 'not-an-address' }], followUps: { qualifiedRemindAfter: 'soon' } };
    const { status, body } = await call('PUT', { ifMatch: '"0"', body: bad });
    expect(status).toBe(400);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.map((detail: { path: string }) => detail.path)).toEqual(
      expect.arrayContaining(['owners.0.email', 'followUps.qualifiedRemindAfter']),
    );
    expect(writes()).toHaveLength(0);
  });

  it('answers 428 without If-Match and 400 for a malformed one, and writes nothing', async () => {
    stored(undefined);
    const missing = await call('PUT', { body: newTeam });
    expect(missing.status).toBe(428);
    expect(missing.body.error.code).toBe('precondition_required');
    const malformed = await call('PUT', { ifMatch: '*', body: newTeam });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details[0].path).toBe('If-Match');
    expect(writes()).toHaveLength(0);
  });

  it('answers 412 with the current version when the client read an older one, and writes nothing', async () => {
    stored({ version: 3, config: newTeam, updatedAt: '2026-03-01T00:00:00.000Z', updatedBy: 'api-key:other' });
    const { status, body } = await call('PUT', { ifMatch: '"2"', body: newTeam });
    expect(status).toBe(412);
    expect(body.error.code).toBe('lifecycle_config_changed');
    expect(body.error.details[0].message).toContain('"3"');
    expect(writes()).toHaveLength(0);
  });

  it('answers 412 when another edit lands between the read and the write', async () => {
    stored({ version: 3, config: newTeam, updatedAt: '2026-03-01T00:00:00.000Z', updatedBy: 'api-key:other' });
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    );
    const { status, body } = await call('PUT', { ifMatch: '"3"', body: newTeam });
    expect(status).toBe(412);
    expect(body.error.code).toBe('lifecycle_config_changed');
  });
});

describe('DELETE /v1/lifecycle-config', () => {
  it('goes back to the deployed configuration, keeping the item (versions only grow) and recording the change', async () => {
    stored({ version: 3, config: newTeam, updatedAt: '2026-03-01T00:00:00.000Z', updatedBy: 'api-key:ops' });
    const { status, etag, body } = await call('DELETE', { ifMatch: '"3"' });
    expect(status).toBe(200);
    expect(etag).toBe('"4"');
    expect(body).toMatchObject({ source: 'deployed', version: 4, config: { owners: deployedTeam.owners } });
    const [items] = writes();
    expect(items![0]!.Put!.Item).toMatchObject({ ...CONFIG_KEY, version: 4 });
    expect(items![0]!.Put!.Item!.config).toBeUndefined();
    expect(items![1]!.Put!.Item).toMatchObject({ sk: 'CHANGE#0000000004', action: 'delete' });
  });

  it('writes nothing when nothing is stored, and still checks the version', async () => {
    stored(undefined);
    expect((await call('DELETE', { ifMatch: '"0"' })).status).toBe(200);
    expect((await call('DELETE', { ifMatch: '"1"' })).status).toBe(412);
    expect((await call('DELETE')).status).toBe(428);
    expect(writes()).toHaveLength(0);
  });
});
