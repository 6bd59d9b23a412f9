import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';
import { scratchDataDir } from '../../local/local-aws';

// Its own cloud, apart from the global setup's: this file checks the start and stop themselves.
// Under the repo, so the bundles resolve the AWS SDK from node_modules as the Lambda runtime provides it.
const dataDir = scratchDataDir('test');
/** Undefined until beforeAll has started it (and if it could not). */
let cloud: LocalCloud | undefined;

beforeAll(async () => {
  cloud = await startLocalCloud({ dataDir, inMemory: true, apiPort: 0, sitePort: 0, dynamoPort: 0, log: () => {} });
}, 60_000);

afterAll(async () => {
  await cloud?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the local cloud', () => {
  it('answers GET /health through the Health function', async () => {
    const response = await fetch(`${cloud!.apiUrl}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  it('answers 404 like API Gateway for a route the template does not declare', async () => {
    const response = await fetch(`${cloud!.apiUrl}/no/such/route`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });

  it('invokes a function directly by a part of its construct path', async () => {
    const result = await cloud!.invoke('Health', {
      version: '2.0',
      routeKey: 'GET /health',
      rawPath: '/health',
      headers: {},
      requestContext: { http: { method: 'GET', path: '/health' } },
    });
    expect(result).toMatchObject({ statusCode: 200 });
  });

  it('serves the demo landing page with the API URL filled in', async () => {
    const page = await (await fetch(cloud!.siteUrl)).text();
    expect(page).toContain(`action="${cloud!.apiUrl}/v1/forms/default/submissions"`);
  });

  it('stops everything: the API and DynamoDB Local no longer answer', async () => {
    await cloud!.stop();
    await expect(fetch(`${cloud!.apiUrl}/health`)).rejects.toThrow();
    await expect(fetch(cloud!.dynamoEndpoint)).rejects.toThrow();
  });
});
