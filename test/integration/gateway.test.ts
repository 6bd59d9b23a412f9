import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { admin, apiUrl, json } from './helpers';

/**
 * Auth, CORS and throttling at the gateway, as the local cloud runs them from the template: the
 * Lambda authorizer (401/403 by API Gateway, verdicts cached 1 s), key revocation and rotation,
 * the keyed API's CORS configuration beside public capture's per-form CORS, and the stage throttle.
 */

const run = randomBytes(4).toString('hex');
/** A well-formed lead id no lead has: a keyed read of it reaches the function (404) only past the authorizer. */
const nobody = `/v1/leads/ld_${'Z'.repeat(22)}`;

async function issue(scopes: string[], name = `gateway-${run}`): Promise<{ keyId: string; key: string }> {
  const response = await admin('POST', '/v1/api-keys', { name, scopes });
  expect(response.status).toBe(201);
  return json(response);
}

function read(key: string | undefined, path = nobody): Promise<Response> {
  return fetch(`${apiUrl()}${path}`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });
}

/** Polls until `key` is refused; the milliseconds from `since` to the first 401. */
async function msUntilRefused(key: string, since: number, timeoutMs: number): Promise<number> {
  for (;;) {
    const response = await read(key);
    if (response.status === 401) return performance.now() - since;
    expect(response.status, 'a key still valid reaches the function').toBe(404);
    if (performance.now() - since > timeoutMs) throw new Error(`the key still worked after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the authorizer', () => {
  it('answers 401 without a key or with a bad one, and 403 without the scope, as API Gateway writes them', async () => {
    const none = await read(undefined);
    expect([none.status, await none.json()]).toEqual([401, { message: 'Unauthorized' }]);
    const malformed = await fetch(`${apiUrl()}${nobody}`, { headers: { authorization: 'Basic abc' } });
    expect([malformed.status, await malformed.json()]).toEqual([401, { message: 'Unauthorized' }]);
    const unknown = await read(`lf_${randomBytes(24).toString('base64url')}`);
    expect([unknown.status, await unknown.json()]).toEqual([401, { message: 'Unauthorized' }]);

    const { key } = await issue(['metrics:read']);
    const forbidden = await read(key);
    expect([forbidden.status, await forbidden.json()]).toEqual([403, { message: 'Forbidden' }]);
    // The same key on a route it holds the scope for: the verdict is per key and route.
    expect((await read(key, '/v1/metrics')).status).toBe(200);
  });
});

describe('API keys', () => {
  it('lists ids, names, scopes and dates, never a key or its hash', async () => {
    const issued = await issue(['leads:read', 'metrics:read'], `listed-${run}`);
    expect(issued.keyId).toMatch(/^key_/);
    const response = await admin('GET', '/v1/api-keys');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain(issued.key);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    const listed = (JSON.parse(text) as { keys: Array<Record<string, unknown>> }).keys.find((key) => key.keyId === issued.keyId);
    expect(listed).toEqual({
      keyId: issued.keyId,
      name: `listed-${run}`,
      scopes: ['leads:read', 'metrics:read'],
      createdAt: expect.any(String),
    });
  });

  it('refuses a revoked key within 1 s', async () => {
    const { keyId, key } = await issue(['leads:read']);
    // A verdict cached by the gateway just before the revocation.
    expect((await read(key)).status).toBe(404);
    const revoked = await admin('DELETE', `/v1/api-keys/${keyId}`);
    const acknowledged = performance.now();
    expect(revoked.status).toBe(200);
    expect(await json(revoked)).toMatchObject({ keyId, revokedAt: expect.any(String) });

    const ms = await msUntilRefused(key, acknowledged, 5_000);
    console.log(`revoked key refused ${ms.toFixed(0)} ms after the revocation was acknowledged`);
    // Past the authorizer's 1 s cache it is refused, whatever was cached.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1_000 - (performance.now() - acknowledged))));
    expect((await read(key)).status).toBe(401);
    // Revoking it again changes nothing; an unknown id is a 404.
    expect((await admin('DELETE', `/v1/api-keys/${keyId}`)).status).toBe(200);
    expect((await admin('DELETE', '/v1/api-keys/key_AAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await admin('DELETE', '/v1/api-keys/not-a-key-id')).status).toBe(404);
    // A revoked key cannot be rotated back to life.
    expect((await admin('POST', `/v1/api-keys/${keyId}/rotate`, {})).status).toBe(409);
  });

  it('rotates a key: the old one works during the overlap, then fails; the new one keeps working', async () => {
    const { keyId, key: old } = await issue(['leads:read'], `rotated-${run}`);
    const response = await admin('POST', `/v1/api-keys/${keyId}/rotate`, { overlapSeconds: 2 });
    const rotatedAt = performance.now();
    expect(response.status).toBe(201);
    const rotated = await json(response);
    expect(rotated).toMatchObject({ name: `rotated-${run}`, scopes: ['leads:read'], rotated: { keyId } });
    expect(rotated.keyId).not.toBe(keyId);
    expect(Date.parse(rotated.rotated.expiresAt) - Date.parse(rotated.createdAt)).toBe(2_000);

    expect((await read(old)).status).toBe(404);
    expect((await read(rotated.key)).status).toBe(404);
    const ms = await msUntilRefused(old, rotatedAt, 6_000);
    console.log(`rotated key (2 s overlap) refused ${ms.toFixed(0)} ms after the rotation`);
    expect(ms).toBeGreaterThanOrEqual(1_500);
    expect((await read(rotated.key)).status).toBe(404);

    const listed = (await json(admin('GET', '/v1/api-keys'))).keys as Array<{ keyId: string; expiresAt?: string }>;
    expect(listed.find((key) => key.keyId === keyId)?.expiresAt).toBe(rotated.rotated.expiresAt);
  });

  it('bounds the overlap, and rotates with the default day without a body', async () => {
    const { keyId } = await issue(['leads:read']);
    for (const overlapSeconds of [-1, 1.5, 7 * 86_400 + 1, '60']) {
      const refused = await admin('POST', `/v1/api-keys/${keyId}/rotate`, { overlapSeconds });
      expect(refused.status, String(overlapSeconds)).toBe(400);
      expect((await json(refused)).error.details[0].path).toBe('overlapSeconds');
    }
    const bodiless = await fetch(`${apiUrl()}/v1/api-keys/${keyId}/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${inject('adminKey')}` },
    });
    expect(bodiless.status).toBe(201);
    const { createdAt, rotated } = await json(bodiless);
    expect(Date.parse(rotated.expiresAt) - Date.parse(createdAt)).toBe(86_400_000);
  });
});

describe('CORS', () => {
  const preflight = (path: string, origin: string, method = 'GET') =>
    fetch(`${apiUrl()}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization' },
    });

  it("answers the dashboard's preflight at the gateway, and no other origin's", async () => {
    const dashboard = inject('dashboardOrigin');
    const allowed = await preflight('/v1/metrics', dashboard);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(dashboard);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('GET');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(allowed.headers.get('access-control-max-age')).toBe('600');
    // No key on a preflight: the gateway answers it before any authorizer.
    const refused = await preflight('/v1/metrics', 'https://evil.example');
    expect(refused.status).toBe(204);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const read = await fetch(`${apiUrl()}/v1/metrics`, { headers: { authorization: `Bearer ${inject('adminKey')}`, origin: dashboard } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBe(dashboard);
    expect(read.headers.get('access-control-expose-headers')).toBe('content-disposition');
    // A refusal by the gateway reaches the dashboard too (it can tell the user the key is wrong).
    const unauthorized = await fetch(`${apiUrl()}/v1/metrics`, { headers: { origin: dashboard } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(dashboard);
  });

  it("leaves capture's CORS to its function: the form's own origins", async () => {
    const path = '/v1/forms/default/submissions';
    const site = inject('siteUrl');
    const fromSite = await preflight(path, site, 'POST');
    expect(fromSite.status).toBe(204);
    expect(fromSite.headers.get('access-control-allow-origin')).toBe(site);
    // The dashboard's origin is the keyed API's, not the form's.
    expect((await preflight(path, inject('dashboardOrigin'), 'POST')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the stage throttle', () => {
  const controlUrl = () => inject('controlUrl');
  type Stage = { apiLogicalId: string; routeKeys: string[]; throttle?: { rateLimit: number; burstLimit: number } };

  async function keyedStage(): Promise<Stage> {
    const { stages } = (await (await fetch(`${controlUrl()}/stages`)).json()) as { stages: Stage[] };
    const stage = stages.find((candidate) => candidate.routeKeys.includes('GET /health'));
    expect(stage).toBeDefined();
    return stage!;
  }

  afterAll(async () => {
    await fetch(`${controlUrl()}/stages/${(await keyedStage()).apiLogicalId}/throttle`, { method: 'DELETE' });
  });

  it("runs each API's throttle from the template (CDK context apiThrottle here)", async () => {
    expect((await keyedStage()).throttle).toEqual(inject('apiThrottle'));
    const { stages } = (await (await fetch(`${controlUrl()}/stages`)).json()) as { stages: Stage[] };
    const capture = stages.find((stage) => stage.routeKeys.includes('POST /v1/forms/{formId}/submissions'));
    // The deployed default for capture: its own stage.
    expect(capture?.throttle).toEqual({ rateLimit: 500, burstLimit: 1000 });
  });

  it('answers a burst beyond the throttle 429 Too Many Requests, then recovers', async () => {
    const stage = await keyedStage();
    const set = await fetch(`${controlUrl()}/stages/${stage.apiLogicalId}/throttle`, {
      method: 'PUT',
      body: JSON.stringify({ rateLimit: 5, burstLimit: 10 }),
    });
    expect(set.status).toBe(204);

    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const response = await fetch(`${apiUrl()}/health`);
        return { status: response.status, body: await response.text() };
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const ok = answers.filter((answer) => answer.status === 200).length;
    const throttled = answers.filter((answer) => answer.status === 429);
    console.log(`burst of 40 at 5/s, burst 10: ${ok} answered, ${throttled.length} throttled in ${seconds.toFixed(2)} s`);
    expect(ok + throttled.length).toBe(40);
    // The bucket holds 10 and refills 5 per second while the burst lasts.
    expect(ok).toBeLessThanOrEqual(10 + Math.ceil(5 * seconds) + 1);
    expect(throttled.length).toBeGreaterThan(0);
    expect(JSON.parse(throttled[0]!.body)).toEqual({ message: 'Too Many Requests' });

    // Public capture is another stage: not throttled by this one.
    expect((await fetch(`${apiUrl()}/v1/forms/default/submissions`, { method: 'OPTIONS' })).status).toBeLessThan(429);

    await fetch(`${controlUrl()}/stages/${stage.apiLogicalId}/throttle`, { method: 'DELETE' });
    expect((await fetch(`${apiUrl()}/health`)).status).toBe(200);
  });
});
