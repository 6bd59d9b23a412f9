/**
 * The template's HTTP APIs on one local port, behaving like API Gateway HTTP APIs with Lambda proxy
 * integrations (payload format 2.0): route selection, each API's stage throttle (429), CORS
 * configuration (preflights answered by the gateway, headers on every answer) and Lambda
 * authorizers (401/403, cached verdicts), the event a function receives, how its result becomes the
 * response, and API Gateway's own answers (404, 413, 500). The APIs' paths are disjoint, so one port
 * serves them all, each route under its own API's configuration.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { apiReferenceFile } from './api-reference';
import type { HttpApiSpec, RouteSpec, ThrottleSpec } from './assembly';
import { AuthorizerCache, authorizerEvent, identityValues, outcomeOf } from './gateway-authorizer';
import { isPreflight, preflightHeaders, withCorsHeaders } from './gateway-cors';
import { TokenBucket } from './gateway-throttle';
import { LambdaError } from './lambda';
import { listen, type RunningServer } from './listen';
import { LOCAL_ACCOUNT } from './local-aws';
import { compileRoute, matchRoute, type CompiledRoute, type RouteMatch } from './routes';

/** API Gateway's request payload limit. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpApiOptions {
  apis: HttpApiSpec[];
  /** 0 picks a free port. */
  port: number;
  invoke: (functionLogicalId: string, event: unknown) => Promise<unknown>;
  log: (line: string) => void;
  /**
   * Static pages served beside the routes (path -> HTML), like pages a deployment hosts next to
   * the API: the dashboard, on the API's origin so it needs no CORS locally. The API reference
   * (`/docs`, Swagger UI on `/openapi.json`) is always served beside them.
   */
  pages?: Record<string, () => Promise<string>>;
}

export interface RunningHttpApi extends RunningServer {
  /** Each API's stage throttle, by the API's logical id (undefined: not throttled). */
  throttles(): Array<{ apiLogicalId: string; routeKeys: string[]; throttle: ThrottleSpec | undefined }>;
  /** Sets an API's stage throttle, as UpdateStage's DefaultRouteSettings would (undefined: back to the template's). */
  setThrottle(apiLogicalId: string, throttle: ThrottleSpec | undefined): void;
}

interface LocalApi {
  spec: HttpApiSpec;
  bucket: TokenBucket | undefined;
}

interface Target {
  api: LocalApi;
  route: RouteSpec;
}

export async function startHttpApi(options: HttpApiOptions): Promise<RunningHttpApi> {
  const apis: LocalApi[] = options.apis.map((spec) => ({ spec, bucket: spec.throttle && new TokenBucket(spec.throttle) }));
  const routes = apis.flatMap((api) => api.spec.routes.map((route) => compileRoute<Target>(route.routeKey, { api, route })));
  const authorizerCache = new AuthorizerCache();
  // Requests no route claims belong to the API with a CORS configuration (it answers every preflight), else the first.
  const fallbackApi = apis.find((api) => api.spec.cors) ?? apis[0];
  if (!fallbackApi) throw new Error('the template has no HTTP API');

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = performance.now();
    const requestId = randomBytes(10).toString('base64');
    const method = req.method ?? 'GET';
    const [rawPath, rawQueryString = ''] = splitOnce(req.url ?? '/', '?');
    const headers = lowercased(req.rawHeaders);
    const match = matchRoute(routes, method, rawPath);
    const api = apiFor(apis, routes, fallbackApi, method, rawPath, headers, match);
    const reply = (result: HttpResult) => {
      const preflightAnswer = api.spec.cors && isPreflight(method, headers) && result.statusCode === 204;
      const sent =
        api.spec.cors && !preflightAnswer ? { ...result, headers: withCorsHeaders(api.spec.cors, headers.origin, result.headers) } : result;
      res.writeHead(sent.statusCode, { ...sent.headers, 'content-length': sent.body.length, 'apigw-requestid': requestId });
      res.end(sent.body);
      // Method, route and status only, like the stage's access log: paths and bodies can hold personal data.
      const ms = Math.round(performance.now() - started);
      options.log(`${match?.route.routeKey ?? `${method} (no route)`} ${sent.statusCode} ${ms}ms`);
    };

    const respond = async (): Promise<HttpResult> => {
      // The stage's throttle comes first: a request over it reaches nothing else.
      if (api.bucket && !api.bucket.take()) return gatewayAnswer(429, 'Too Many Requests');
      const body = tooLarge(req) ? undefined : await readBody(req, MAX_BODY_BYTES);
      if (!body) return { ...gatewayAnswer(413, 'Request Entity Too Large'), headers: { ...JSON_TYPE, connection: 'close' } };
      if (api.spec.cors && isPreflight(method, headers)) {
        return { statusCode: 204, headers: preflightHeaders(api.spec.cors, headers), body: Buffer.alloc(0) };
      }
      const page = options.pages?.[rawPath.replace(/\/$/, '')];
      if (!match && page && method === 'GET') {
        return {
          statusCode: 200,
          headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
          body: Buffer.from(await page()),
        };
      }
      const reference = !match && method === 'GET' ? await apiReferenceFile(rawPath) : undefined;
      if (reference) {
        return {
          statusCode: 200,
          headers: { 'content-type': reference.contentType, 'cache-control': reference.cacheControl },
          body: reference.body,
        };
      }
      if (!match) return gatewayAnswer(404, 'Not Found');
      const event = toEvent(
        {
          method,
          rawPath,
          rawQueryString,
          rawHeaders: req.rawHeaders,
          body,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
          requestId,
          now: new Date(),
          apiId: api.spec.logicalId,
        },
        match,
      );
      const { route } = match.route.target;
      if (route.authorizer) {
        const denied = await authorize(route, event);
        if (denied) return denied;
      }
      try {
        return toHttpResult(await options.invoke(route.functionLogicalId, event));
      } catch (error) {
        // A function error is in the function's log already; anything else (a malformed response) goes here.
        // The client learns nothing more, as from API Gateway.
        if (!(error instanceof LambdaError)) {
          options.log(`${match.route.routeKey}: ${error instanceof Error ? error.message : String(error)}`);
        }
        return gatewayAnswer(500, 'Internal Server Error');
      }
    };

    /** Runs the route's authorizer (or reads its cached verdict); an answer when the request goes no further. */
    const authorize = async (route: RouteSpec, event: APIGatewayProxyEventV2): Promise<HttpResult | undefined> => {
      const authorizer = route.authorizer;
      if (!authorizer) return undefined;
      const values = identityValues(authorizer.identitySource, event);
      if (!values) return gatewayAnswer(401, 'Unauthorized');
      let outcome = authorizerCache.get(authorizer, values);
      if (!outcome) {
        const settled = await options
          .invoke(authorizer.functionLogicalId, authorizerEvent(event, values))
          .then((value) => ({ status: 'fulfilled' as const, value }))
          .catch((reason: unknown) => ({ status: 'rejected' as const, reason }));
        outcome = outcomeOf(settled);
        authorizerCache.set(authorizer, values, outcome);
      }
      switch (outcome.kind) {
        case 'allow':
          // The integration sees who the authorizer admitted, as `requestContext.authorizer.lambda`.
          (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: outcome.context };
          return undefined;
        case 'unauthorized':
          return gatewayAnswer(401, 'Unauthorized');
        case 'forbidden':
          return gatewayAnswer(403, 'Forbidden');
        case 'error':
          options.log(`${route.routeKey}: authorizer ${authorizer.name}: ${outcome.reason}`);
          return gatewayAnswer(500, 'Internal Server Error');
      }
    };

    // A failure here means the client went away mid-request (or sent what cannot be answered).
    respond()
      .then(reply)
      .catch(() => res.destroy());
  };
  const server = http.createServer(handle);
  // A client that asks first (`Expect: 100-continue`) gets its 413 before it sends a body too large.
  server.on('checkContinue', (req, res) => {
    if (!tooLarge(req)) res.writeContinue();
    handle(req, res);
  });
  const running = await listen(server, options.port, 'API');
  return {
    ...running,
    throttles: () =>
      apis.map((api) => ({
        apiLogicalId: api.spec.logicalId,
        routeKeys: api.spec.routes.map((route) => route.routeKey),
        throttle: api.bucket?.settings,
      })),
    setThrottle: (apiLogicalId, throttle) => {
      const api = apis.find((candidate) => candidate.spec.logicalId === apiLogicalId);
      if (!api) throw new Error(`no HTTP API ${apiLogicalId}`);
      const limits = throttle ?? api.spec.throttle;
      if (!limits) api.bucket = undefined;
      else if (api.bucket) api.bucket.update(limits);
      else api.bucket = new TokenBucket(limits);
    },
  };
}

/**
 * The API a request is for: its route's. A preflight for a path that an API with a CORS
 * configuration serves is that API's (the gateway answers it) unless the matched route's own API
 * has no CORS configuration (its function answers it, as public capture does).
 */
function apiFor(
  apis: LocalApi[],
  routes: Array<CompiledRoute<Target>>,
  fallback: LocalApi,
  method: string,
  rawPath: string,
  headers: Record<string, string>,
  match: RouteMatch<Target> | undefined,
): LocalApi {
  if (!isPreflight(method, headers)) return match?.route.target.api ?? fallback;
  if (match && !match.route.target.api.spec.cors) return match.route.target.api;
  const requested = matchRoute(routes, headers['access-control-request-method'] ?? '', rawPath)?.route.target.api;
  return requested?.spec.cors ? requested : (apis.find((api) => api.spec.cors) ?? fallback);
}

export interface IncomingRequest {
  method: string;
  /** The path as sent, still percent-encoded. */
  rawPath: string;
  rawQueryString: string;
  /** Node's alternating name/value list, which keeps duplicates. */
  rawHeaders: string[];
  body: Buffer;
  protocol: string;
  sourceIp: string;
  requestId: string;
  now: Date;
  /** The API's id in the event (its logical id locally). */
  apiId?: string;
}

/** The payload-format-2.0 event for a matched request. */
export function toEvent(request: IncomingRequest, match: RouteMatch<unknown>): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]?.toLowerCase();
    const value = request.rawHeaders[i + 1];
    if (name === undefined || value === undefined) continue;
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((cookie) => cookie.trim())
          .filter(Boolean),
      );
    } else {
      headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
    }
  }
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(request.rawQueryString)) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const text = isText(headers['content-type']);
  const domainName = headers.host ?? '127.0.0.1';
  const routeKey = match.route.routeKey;
  return {
    version: '2.0',
    routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    ...(Object.keys(match.pathParameters).length > 0 && { pathParameters: match.pathParameters }),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: request.apiId ?? 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method,
        path: request.rawPath,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId,
      routeKey,
      stage: '$default',
      time: accessLogTime(request.now),
      timeEpoch: request.now.getTime(),
    },
    ...(request.body.length > 0 && { body: request.body.toString(text ? 'utf8' : 'base64') }),
    isBase64Encoded: request.body.length > 0 && !text,
  };
}

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/**
 * A function's result as the response. An object with a `statusCode` is the response itself;
 * anything else is JSON for a 200. A malformed response throws (API Gateway answers 500).
 */
export function toHttpResult(result: unknown): HttpResult {
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    return { statusCode: 200, headers: JSON_TYPE, body: Buffer.from(JSON.stringify(result)) };
  }
  const { statusCode, headers, cookies, body, isBase64Encoded } = result as Record<string, unknown>;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    throw new Error(`malformed Lambda response: statusCode ${JSON.stringify(statusCode)}`);
  }
  if (body !== undefined && body !== null && typeof body !== 'string') throw new Error('malformed Lambda response: body');
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries((headers ?? {}) as Record<string, unknown>)) out[name.toLowerCase()] = String(value);
  if (Array.isArray(cookies) && cookies.length > 0) out['set-cookie'] = cookies.map(String);
  return { statusCode, headers: out, body: Buffer.from(body ?? '', isBase64Encoded === true ? 'base64' : 'utf8') };
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** API Gateway's own answers. */
function gatewayAnswer(statusCode: number, message: string): HttpResult {
  return { statusCode, headers: JSON_TYPE, body: Buffer.from(JSON.stringify({ message })) };
}

/** Bodies API Gateway passes as text; any other body is base64-encoded. */
function isText(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    mediaType.startsWith('text/') ||
    mediaType === 'application/json' ||
    mediaType.endsWith('+json') ||
    mediaType === 'application/x-www-form-urlencoded'
  );
}

function tooLarge(req: http.IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES;
}

/** The body, or undefined once it exceeds `limit` (the rest is drained unread). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', collect);
      req.resume();
      resolve(undefined);
    };
    req.on('data', collect);
    req.once('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.once('error', reject);
  });
}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's requestContext.time. */
function accessLogTime(date: Date): string {
  const parts = /^\w+, (\d+) (\w+) (\d+) ([\d:]+)/.exec(date.toUTCString());
  if (!parts) throw new Error(`unexpected UTC date format: ${date.toUTCString()}`);
  const [, day, month, year, time] = parts;
  return `${day}/${month}/${year}:${time} +0000`;
}

/** Header names lowercased; a repeated header's values joined with commas. */
function lowercased(rawHeaders: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]?.toLowerCase();
    const value = rawHeaders[i + 1];
    if (name === undefined || value === undefined) continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return headers;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
