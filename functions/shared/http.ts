import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DomainError } from '../../core/errors';

export interface HttpRequest {
  method: string;
  path: string;
  routeKey: string;
  pathParameters: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  /** Header names lowercased. */
  headers: Record<string, string | undefined>;
  /** The body as the client sent it (base64 decoded). */
  body: string;
  /** Headers added to every answer, errors included (CORS). */
  responseHeaders: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  /** Serialized as JSON unless `text` is given. */
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export type HttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The one HTTP wrapper every route uses: it normalizes the request, maps domain errors to the JSON
 * error shape (`{"error": {code, message, details}}`) and never lets an internal error's text out.
 */
export function httpHandler(handle: (request: HttpRequest) => Promise<HttpResponse>): HttpHandler {
  return async (event) => {
    const request = toRequest(event);
    let response: HttpResponse;
    try {
      response = await handle(request);
    } catch (error) {
      response = errorResponse(error, request);
    }
    return toResult(response, request.responseHeaders);
  };
}

function toRequest(event: APIGatewayProxyEventV2): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  const rawBody = event.body ?? '';
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    routeKey: event.routeKey,
    pathParameters: event.pathParameters ?? {},
    query: event.queryStringParameters ?? {},
    headers,
    body: event.isBase64Encoded ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody,
    responseHeaders: {},
  };
}

function errorResponse(error: unknown, request: HttpRequest): HttpResponse {
  if (error instanceof DomainError) {
    return {
      status: error.status,
      json: { error: { code: error.code, message: error.message, details: error.details } },
    };
  }
  // Log the error's kind and message only: request bodies hold personal data.
  const err = error instanceof Error ? error : new Error(String(error));
  console.error(JSON.stringify({ level: 'error', route: request.routeKey, error: err.name, message: err.message }));
  return {
    status: 500,
    json: { error: { code: 'internal_error', message: 'something went wrong on our side; please retry', details: [] } },
  };
}

function toResult(response: HttpResponse, extraHeaders: Record<string, string>): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { ...extraHeaders, ...response.headers };
  let body: string | undefined;
  if (response.text !== undefined) {
    body = response.text;
  } else if (response.json !== undefined) {
    body = JSON.stringify(response.json);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  return { statusCode: response.status, headers, body: body ?? '' };
}
