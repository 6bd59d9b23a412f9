import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthorizerSpec, CorsSpec, HttpApiSpec } from '../../local/assembly';
import { AuthorizerCache, authorizerEvent, identityValues, outcomeOf } from '../../local/gateway-authorizer';
import { isPreflight, originAllowed, preflightHeaders, withCorsHeaders } from '../../local/gateway-cors';
import { TokenBucket } from '../../local/gateway-throttle';
import { startHttpApi, toEvent, type RunningHttpApi } from '../../local/http-api';
import { LambdaError } from '../../local/lambda';
import { compileRoute } from '../../local/routes';

const cors: CorsSpec = {
  allowOrigins: ['https://dash.example.com'],
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['authorization', 'content-type'],
  exposeHeaders: ['content-disposition'],
  maxAgeSeconds: 600,
  allowCredentials: false,
};

const authorizer: AuthorizerSpec = {
  logicalId: 'Authorizer',
  name: 'api-key',
  functionLogicalId: 'Authorize',
  identitySource: ['$request.header.Authorization', '$context.routeKey'],
  resultTtlSeconds: 1,
};

function event(routeKey: string, path: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  const rawHeaders = Object.entries(headers).flat();
  return toEvent(
    {
      method: routeKey.split(' ')[0]!,
      rawPath: path,
      rawQueryString: 'a=1',
      rawHeaders,
      body: Buffer.alloc(0),
      protocol: 'HTTP/1.1',
      sourceIp: '127.0.0.1',
      requestId: 'r',
      now: new Date(0),
      apiId: 'KeyedApi',
    },
    { route: compileRoute(routeKey, undefined), pathParameters: { leadId: 'ld_1' } },
  );
}

describe('stage throttle (token bucket)', () => {
  it('lets a burst through, then the rate', () => {
    const bucket = new TokenBucket({ rateLimit: 10, burstLimit: 3 }, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    // 10 per second: one token every 100 ms, never more than the burst.
    expect(bucket.take(50)).toBe(false);
    expect(bucket.take(150)).toBe(true);
    expect(bucket.take(10_000) && bucket.take(10_000) && bucket.take(10_000)).toBe(true);
    expect(bucket.take(10_000)).toBe(false);
  });

  it('starts full with new limits', () => {
    const bucket = new TokenBucket({ rateLimit: 1, burstLimit: 1 }, 0);
    expect(bucket.take(0)).toBe(true);
    bucket.update({ rateLimit: 1, burstLimit: 2 }, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, false]);
  });
});

describe('CORS configuration', () => {
  it('knows a preflight and the allowed origins', () => {
    expect(isPreflight('OPTIONS', { origin: 'https://a', 'access-control-request-method': 'GET' })).toBe(true);
    expect(isPreflight('OPTIONS', { origin: 'https://a' })).toBe(false);
    expect(isPreflight('GET', { origin: 'https://a', 'access-control-request-method': 'GET' })).toBe(false);
    expect(originAllowed(cors, 'https://dash.example.com')).toBe(true);
    expect(originAllowed(cors, 'https://DASH.example.com')).toBe(true);
    expect(originAllowed(cors, 'https://evil.example.com')).toBe(false);
    expect(originAllowed({ ...cors, allowOrigins: ['https://*'] }, 'https://any.example')).toBe(true);
    expect(originAllowed({ ...cors, allowOrigins: ['https://*'] }, 'http://any.example')).toBe(false);
  });

  it('answers an allowed preflight with the configuration, a disallowed one with nothing', () => {
    expect(preflightHeaders(cors, { origin: 'https://dash.example.com', 'access-control-request-method': 'GET' })).toEqual({
      'access-control-allow-origin': 'https://dash.example.com',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'authorization,content-type',
      'access-control-max-age': '600',
    });
    expect(preflightHeaders(cors, { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' })).toEqual({});
    expect(preflightHeaders({ ...cors, allowOrigins: ['*'] }, { origin: 'https://x' })['access-control-allow-origin']).toBe('*');
  });

  it("replaces the integration's CORS headers with the configuration's", () => {
    const sent = { 'content-type': 'text/csv', 'access-control-allow-origin': '*', 'Access-Control-Allow-Methods': 'DELETE' };
    expect(withCorsHeaders(cors, 'https://dash.example.com', sent)).toEqual({
      'content-type': 'text/csv',
      'access-control-allow-origin': 'https://dash.example.com',
      'access-control-expose-headers': 'content-disposition',
    });
    expect(withCorsHeaders(cors, 'https://evil.example.com', sent)).toEqual({ 'content-type': 'text/csv' });
    expect(withCorsHeaders(cors, undefined, sent)).toEqual({ 'content-type': 'text/csv' });
  });
});

describe('Lambda authorizer', () => {
  it('reads the identity sources, and finds none missing or empty', () => {
    const request = event('GET /v1/leads/{leadId}', '/v1/leads/ld_1', { Authorization: 'Bearer k' });
    expect(identityValues(authorizer.identitySource, request)).toEqual(['Bearer k', 'GET /v1/leads/{leadId}']);
    expect(identityValues(authorizer.identitySource, event('GET /v1/leads/{leadId}', '/v1/leads/ld_1', {}))).toBeUndefined();
    expect(
      identityValues(authorizer.identitySource, event('GET /v1/leads/{leadId}', '/v1/leads/ld_1', { authorization: '' })),
    ).toBeUndefined();
    expect(identityValues(['$request.querystring.a', '$context.http.method'], request)).toEqual(['1', 'GET']);
    expect(() => identityValues(['$body.x'], request)).toThrow('not one API Gateway takes');
  });

  it('sends the payload 2.0 REQUEST event', () => {
    const request = event('GET /v1/leads/{leadId}', '/v1/leads/ld_1', { authorization: 'Bearer k' });
    expect(authorizerEvent(request, ['Bearer k', 'GET /v1/leads/{leadId}'])).toMatchObject({
      version: '2.0',
      type: 'REQUEST',
      routeArn: 'arn:aws:execute-api:us-east-1:000000000000:KeyedApi/$default/GET/v1/leads/ld_1',
      identitySource: ['Bearer k', 'GET /v1/leads/{leadId}'],
      routeKey: 'GET /v1/leads/{leadId}',
      rawPath: '/v1/leads/ld_1',
      headers: { authorization: 'Bearer k' },
      pathParameters: { leadId: 'ld_1' },
      requestContext: { routeKey: 'GET /v1/leads/{leadId}', http: { method: 'GET' } },
    });
  });

  it('reads verdicts as API Gateway does', () => {
    const settled = (value: unknown) => ({ status: 'fulfilled' as const, value });
    expect(outcomeOf(settled({ isAuthorized: true, context: { keyId: 'k' } }))).toEqual({ kind: 'allow', context: { keyId: 'k' } });
    expect(outcomeOf(settled({ isAuthorized: false }))).toEqual({ kind: 'forbidden' });
    expect(outcomeOf({ status: 'rejected', reason: new LambdaError('Error', 'Unauthorized') })).toEqual({ kind: 'unauthorized' });
    expect(outcomeOf({ status: 'rejected', reason: new LambdaError('Error', 'boom') }).kind).toBe('error');
    expect(outcomeOf(settled({ isAuthorized: 'yes' })).kind).toBe('error');
    expect(outcomeOf(settled({ isAuthorized: true, context: [1] })).kind).toBe('error');
  });

  it('caches verdicts for the TTL, never failures', () => {
    const cache = new AuthorizerCache();
    cache.set(authorizer, ['a'], { kind: 'allow', context: {} }, 0);
    cache.set(authorizer, ['b'], { kind: 'unauthorized' }, 0);
    expect(cache.get(authorizer, ['a'], 999)).toEqual({ kind: 'allow', context: {} });
    expect(cache.get(authorizer, ['a'], 1000)).toBeUndefined();
    expect(cache.get(authorizer, ['b'], 1)).toBeUndefined();
    cache.set({ ...authorizer, resultTtlSeconds: 0 }, ['c'], { kind: 'forbidden' }, 0);
    expect(cache.get(authorizer, ['c'], 1)).toBeUndefined();
  });
});

describe('the local HTTP API gateway', () => {
  const keyedApi: HttpApiSpec = {
    logicalId: 'KeyedApi',
    routes: [
      { routeKey: 'GET /v1/leads/{leadId}', functionLogicalId: 'GetLead', authorizer },
      { routeKey: 'GET /health', functionLogicalId: 'Health' },
    ],
    cors,
    throttle: { rateLimit: 1, burstLimit: 1000 },
  };
  const captureApi: HttpApiSpec = {
    logicalId: 'CaptureApi',
    routes: [{ routeKey: 'OPTIONS /v1/forms/{formId}/submissions', functionLogicalId: 'Capture' }],
    cors: undefined,
    throttle: undefined,
  };
  let server: RunningHttpApi | undefined;
  const calls: Array<{ fn: string; event: Record<string, unknown> }> = [];

  afterEach(async () => {
    await server?.close();
    calls.length = 0;
  });

  async function start(verdict: (key: string) => unknown): Promise<string> {
    server = await startHttpApi({
      apis: [captureApi, keyedApi],
      port: 0,
      log: () => {},
      invoke: (fn, payload) => {
        const received = payload as Record<string, unknown>;
        calls.push({ fn, event: received });
        if (fn !== 'Authorize') {
          return Promise.resolve({
            statusCode: 200,
            headers: { 'access-control-allow-origin': '*' },
            body: JSON.stringify(received.requestContext),
          });
        }
        const key = (received.headers as Record<string, string>).authorization ?? '';
        const answer = verdict(key);
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
      },
    });
    return server.url;
  }

  it('answers 401 without calling the authorizer when the key is missing, and as the authorizer decides', async () => {
    const url = await start((key) =>
      key === 'Bearer good'
        ? { isAuthorized: true, context: { keyId: 'key_1' } }
        : key === 'Bearer reader'
          ? { isAuthorized: false }
          : new LambdaError('Error', 'Unauthorized'),
    );
    const get = (headers: Record<string, string> = {}) => fetch(`${url}/v1/leads/ld_1`, { headers });

    const missing = await get();
    expect([missing.status, await missing.json()]).toEqual([401, { message: 'Unauthorized' }]);
    expect(calls).toEqual([]);

    const bad = await get({ authorization: 'Bearer bad' });
    expect([bad.status, await bad.json()]).toEqual([401, { message: 'Unauthorized' }]);
    const forbidden = await get({ authorization: 'Bearer reader' });
    expect([forbidden.status, await forbidden.json()]).toEqual([403, { message: 'Forbidden' }]);

    const ok = await get({ authorization: 'Bearer good' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { authorizer: unknown }).authorizer).toEqual({ lambda: { keyId: 'key_1' } });
    expect(calls.map((call) => call.fn)).toEqual(['Authorize', 'Authorize', 'Authorize', 'GetLead']);
    expect(calls[0]!.event).toMatchObject({ type: 'REQUEST', identitySource: ['Bearer bad', 'GET /v1/leads/{leadId}'] });

    // Cached for the TTL per key and route: the authorizer is not called again within it, and is after it.
    await get({ authorization: 'Bearer good' });
    await get({ authorization: 'Bearer reader' });
    expect(calls.filter((call) => call.fn === 'Authorize')).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    await get({ authorization: 'Bearer good' });
    expect(calls.filter((call) => call.fn === 'Authorize')).toHaveLength(4);
  });

  it('answers 500 when the authorizer fails otherwise', async () => {
    const url = await start(() => new LambdaError('TypeError', 'x is undefined'));
    const failed = await fetch(`${url}/v1/leads/ld_1`, { headers: { authorization: 'Bearer k' } });
    expect([failed.status, await failed.json()]).toEqual([500, { message: 'Internal Server Error' }]);
  });

  it("answers preflights of the API with CORS itself, and leaves capture's to its function", async () => {
    const url = await start(() => ({ isAuthorized: true }));
    const preflight = (path: string, origin: string) =>
      fetch(`${url}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });

    const allowed = await preflight('/v1/leads/ld_1', 'https://dash.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    const refused = await preflight('/v1/leads/ld_1', 'https://evil.example.com');
    expect(refused.status).toBe(204);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    // Even for a path no route serves.
    expect((await preflight('/nowhere', 'https://dash.example.com')).headers.get('access-control-allow-origin')).toBe(
      'https://dash.example.com',
    );
    expect(calls).toEqual([]);

    const capture = await preflight('/v1/forms/default/submissions', 'https://evil.example.com');
    expect(capture.headers.get('access-control-allow-origin')).toBe('*');
    expect(calls.map((call) => call.fn)).toEqual(['Capture']);

    // An actual request: the configuration's headers replace the function's.
    const health = await fetch(`${url}/health`, { headers: { origin: 'https://dash.example.com' } });
    expect(health.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
    expect(health.headers.get('access-control-expose-headers')).toBe('content-disposition');
    const other = await fetch(`${url}/health`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("throttles each API's stage on its own with 429", async () => {
    const url = await start(() => ({ isAuthorized: true }));
    server!.setThrottle('KeyedApi', { rateLimit: 1, burstLimit: 5 });
    const statuses = await Promise.all(Array.from({ length: 12 }, () => fetch(`${url}/health`).then((r) => r.status)));
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(6);
    const throttled = await fetch(`${url}/health`);
    expect([throttled.status, await throttled.json()]).toEqual([429, { message: 'Too Many Requests' }]);
    // The capture API has its own stage (no throttle here).
    const capture = await fetch(`${url}/v1/forms/default/submissions`, { method: 'OPTIONS' });
    expect(capture.status).toBe(200);
    server!.setThrottle('KeyedApi', undefined);
    expect(server!.throttles().find((stage) => stage.apiLogicalId === 'KeyedApi')?.throttle).toEqual({ rateLimit: 1, burstLimit: 1000 });
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});
