import { GetAccountCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { httpEvent, lambdaContext } from './events';

const dynamo = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);

/** A fresh module per test: the verdict is cached in the module for 2 s. */
async function health(): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  vi.resetModules();
  const { handler } = await import('../../../functions/health');
  const result = (await handler(httpEvent('GET /health', {}), lambdaContext())) as { statusCode: number; body: string };
  return { statusCode: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
}

afterEach(() => {
  dynamo.reset();
  ses.reset();
});

describe('GET /health', () => {
  it('answers 200 with each dependency up and its latency, after one cheap read of the probe item', async () => {
    dynamo.on(GetCommand).resolves({});
    ses.on(GetAccountCommand).resolves({ SendingEnabled: true });
    const { statusCode, body } = await health();
    expect(statusCode).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      dependencies: { dynamodb: { status: 'ok', latencyMs: expect.any(Number) }, ses: { status: 'ok' } },
    });
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({ Key: { pk: 'HEALTH', sk: 'HEALTH' }, ConsistentRead: true });
  });

  it('answers 503 naming the dependency that is down, with the error name only', async () => {
    dynamo.on(GetCommand).rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { name: 'TimeoutError' }));
    ses.on(GetAccountCommand).resolves({});
    const { statusCode, body } = await health();
    expect(statusCode).toBe(503);
    expect(body).toMatchObject({
      status: 'unavailable',
      dependencies: { dynamodb: { status: 'down', error: 'TimeoutError' }, ses: { status: 'ok' } },
    });
    expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
  });

  it('reuses its verdict for a couple of seconds', async () => {
    dynamo.on(GetCommand).resolves({});
    ses.on(GetAccountCommand).resolves({});
    vi.resetModules();
    const { handler } = await import('../../../functions/health');
    for (let i = 0; i < 5; i++) await handler(httpEvent('GET /health', {}), lambdaContext());
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(1);
  });
});
