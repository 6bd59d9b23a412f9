/**
 * The template's HTTP API on a local port, behaving like API Gateway HTTP APIs with Lambda proxy
 * integrations (payload format 2.0): route selection, the event a function receives, how its
 * result becomes the response, and API Gateway's own answers (404, 413, 500).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { apiReferenceFile } from './api-reference';
import type { HttpApiSpec } from './assembly';
import { LambdaError } from './lambda';
import { listen, type RunningServer } from './listen';
import { LOCAL_ACCOUNT } from './local-aws';
import { compileRoute, matchRoute, type RouteMatch } from './routes';

/** API Gateway's request payload limit. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpApiOptions {
  api: HttpApiSpec;
  /** 0 picks a free port. */
  port: number;
  invoke: (functionLogicalId: string, event: APIGatewayProxyEventV2) => Promise<unknown>;
  log: (line: string) => void;
  /**
   * Static pages served beside the routes (path -> HTML), like pages a deployment hosts next to
   * the API: the dashboard, on the API's origin so it needs no CORS locally. The API reference
   * (`/docs`, Swagger UI on `/openapi.json`) is always served beside them.
   */
  pages?: Record<string, () => Promise<string>>;
}

export async function startHttpApi(options: HttpApiOptions): Promise<RunningServer> {
  const routes = options.api.routes.map((route) => compileRoute(route.routeKey, route.functionLogicalId));

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = performance.now();
    const requestId = randomBytes(10).toString('base64');
    const [rawPath, rawQueryString = ''] = splitOnce(req.url ?? '/', '?');
    const match = matchRoute(routes, req.method ?? 'GET', rawPath);
    const reply = (result: HttpResult) => {
      res.writeHead(result.statusCode, { ...result.headers, 'content-length': result.body.length, 'apigw-requestid': requestId });
      res.end(result.body);
      // Method, route and status only, like the stage's access log: paths and bodies can hold personal data.
      const ms = Math.round(performance.now() - started);
      options.log(`${match?.route.routeKey ?? `${req.method} (no route)`} ${result.statusCode} ${ms}ms`);
    };

    const respond = async (): Promise<HttpResult> => {
      const body = tooLarge(req) ? undefined : await readBody(req, MAX_BODY_BYTES);
      if (!body) return { ...gatewayAnswer(413, 'Request Entity Too Large'), headers: { ...JSON_TYPE, connection: 'close' } };
      const page = options.pages?.[rawPath.replace(/\/$/, '')];
      if (!match && page && req.method === 'GET') {
        return {
          statusCode: 200,
          headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
          body: Buffer.from(await page()),
        };
      }
      const reference = !match && req.method === 'GET' ? await apiReferenceFile(rawPath) : undefined;
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
          method: req.method ?? 'GET',
          rawPath,
          rawQueryString,
          rawHeaders: req.rawHeaders,
          body,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
          requestId,
          now: new Date(),
        },
        match,
      );
      try {
        return toHttpResult(await options.invoke(match.route.target, event));
      } catch (error) {
        // A function error is in the function's log already; anything else (a malformed response) goes here.
        // The client learns nothing more, as from API Gateway.
        if (!(error instanceof LambdaError)) {
          options.log(`${match.route.routeKey}: ${error instanceof Error ? error.message : String(error)}`);
        }
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
  return listen(server, options.port, 'API');
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
}

/** The payload-format-2.0 event for a matched request. */
export function toEvent(request: IncomingRequest, match: RouteMatch<string>): APIGatewayProxyEventV2 {
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
      apiId: 'local',
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

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
