import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpEventNormalizer from '@middy/http-event-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { callerOf, type Caller } from './auth';
import { bodyParser, type BodyKind, type ParsedBodyEvent, type ReceivedForm } from './http-body';
import { httpErrors } from './http-errors';
import type { MultipartForm } from './multipart';
import type { negotiate } from './negotiation';
import { correlate, observed } from './observability';

export interface HttpRequest {
  method: string;
  path: string;
  routeKey: string;
  pathParameters: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  /** Header names lowercased. */
  headers: Record<string, string | undefined>;
  /** The body exactly as the client sent it (base64 decoded): what signatures and idempotency hashes cover. */
  rawBody: string;
  /** A `json` route's body object; `{}` without one. */
  body: Record<string, unknown>;
  /** A `form` route's body as received (JSON, urlencoded or multipart). */
  form: ReceivedForm;
  /** The API key the gateway's authorizer admitted the request with, on routes behind it. */
  apiKey?: Caller;
  /** The client's address as API Gateway saw it (for abuse limits; never stored as such). */
  sourceIp: string;
  /** The media type the route's `negotiation` picked, when it has one. */
  preferredMediaType?: string;
}

export interface HttpResponse {
  status: number;
  /** Serialized as JSON unless `text` is given. */
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export interface CorsPolicy {
  /** Origins allowed to call the route from a browser; a function reads them per request (a form's own). */
  origins: string[] | ((request: HttpRequest) => Promise<string[]>);
  methods: string;
  headers: string;
  exposeHeaders?: string;
}

export interface HttpRouteOptions {
  /** What the body may be: `json` (an object; the admin routes) or `form` (capture's form fields). */
  body?: BodyKind;
  /** A `form` route's multipart parser (`parseMultipart` from multipart.ts), when it takes multipart. */
  multipart?: (body: Buffer, contentType: string) => Promise<MultipartForm>;
  /** A `json` route that may be called without a body (every field has a default). */
  optionalBody?: boolean;
  /** The largest body accepted, in bytes (413 above it). */
  maxBodyBytes?: number;
  cors?: CorsPolicy;
  /** Content negotiation for a route that answers in several media types (`negotiate()` in negotiation.ts). */
  negotiation?: ReturnType<typeof negotiate>;
  /** Checks that come before the body is read (an unknown form is a 404 whatever it sent). */
  precondition?: (request: HttpRequest) => Promise<void>;
}

export type HttpHandler = middy.MiddyfiedHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/**
 * The one HTTP wrapper every route uses: a middy chain that logs with the request's context,
 * publishes metrics, normalizes the event, answers CORS, negotiates the answer's
 * media type, parses the body, and maps every error to the JSON error shape
 * (`{"error": {code, message, details}}`) without letting an internal error's text out.
 */
export function httpHandler(handle: (request: HttpRequest) => Promise<HttpResponse>, options: HttpRouteOptions = {}): HttpHandler {
  const chain = observed<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(async (event, context) => {
    return toResult(await handle(toRequest(event, context)));
  });
  // middy runs `before` in this order and `after`/`onError` in reverse: the error mapping is
  // registered last so that it answers a failure first, and CORS then applies to that answer too.
  // No header normalizer: HTTP API (payload 2.0) already delivers header names lowercased.
  chain.use(httpEventNormalizer());
  if (options.cors) chain.use(corsFor(options.cors));
  if (options.negotiation) chain.use(options.negotiation);
  // Keys and scopes are checked by the gateway's authorizer before the function runs (api/routes.ts
  // declares each route's scope); the function only reads who the caller is (auth.ts).
  const { precondition } = options;
  if (precondition) chain.before(async ({ event, context }) => precondition(toRequest(event, context)));
  if (options.body) chain.use(bodyParser(options.body, options.maxBodyBytes, options.multipart, options.optionalBody));
  return chain.use(httpErrors());
}

/** Who made a change, for the lead's history. */
export function actorOf(request: HttpRequest): string {
  return request.apiKey ? `api-key:${request.apiKey.name}` : 'anonymous';
}

function toRequest(event: ParsedBodyEvent, context: Context): HttpRequest {
  correlate({ leadId: event.pathParameters?.leadId });
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    routeKey: event.routeKey,
    pathParameters: event.pathParameters ?? {},
    query: event.queryStringParameters ?? {},
    headers: event.headers,
    rawBody: event.rawBody ?? decodedBody(event),
    body: event.parsedBody ?? {},
    form: event.form ?? { mediaType: '', fields: [], files: [] },
    apiKey: callerOf(event),
    sourceIp: event.requestContext.http.sourceIp,
    preferredMediaType: (context as Context & { preferredMediaType?: string }).preferredMediaType,
  };
}

function decodedBody(event: APIGatewayProxyEventV2): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

function toResult(response: HttpResponse): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { ...response.headers };
  let body = '';
  if (response.text !== undefined) {
    body = response.text;
  } else if (response.json !== undefined) {
    body = JSON.stringify(response.json);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  return { statusCode: response.status, headers, body };
}

/**
 * CORS by @middy/http-cors, answered only to allowed origins. A route whose origins depend on the
 * request (a form's own) resolves them first and gets a policy built for them; policies are kept
 * per origin list, since building one compiles its origin patterns.
 */
function corsFor(policy: CorsPolicy): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  const byOrigins = new Map<string, middy.MiddlewareObj>();
  const middlewareFor = (origins: string[]) => {
    const key = origins.join(' ');
    let middleware = byOrigins.get(key);
    if (!middleware) {
      middleware = httpCors({
        origins: origins.map((origin) => new URL(origin).origin),
        methods: policy.methods,
        headers: policy.headers,
        exposeHeaders: policy.exposeHeaders,
        maxAge: 600,
      });
      byOrigins.set(key, middleware);
    }
    return middleware;
  };
  const addHeaders = async (request: middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>) => {
    const origin = request.event.headers.origin;
    let origins: string[] = [];
    try {
      origins = typeof policy.origins === 'function' ? await policy.origins(toRequest(request.event, request.context)) : policy.origins;
    } catch {
      // No origins (an unknown form, say): the error answer goes out without CORS headers.
    }
    const response = request.response;
    if (!response) return;
    // Nothing about CORS goes to an origin that is not allowed.
    if (origin && origins.some((allowed) => new URL(allowed).origin === origin))
      await middlewareFor(origins).after?.(request as middy.Request);
    // Header names in one case, as every other header the API sends; caches keep answers to different origins apart.
    const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    if (!('vary' in headers)) headers.vary = 'Origin';
    response.headers = headers;
  };
  return { after: addHeaders, onError: addHeaders };
}
