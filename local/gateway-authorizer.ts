/**
 * An HTTP API's Lambda REQUEST authorizer as API Gateway runs it (payload format 2.0, simple
 * responses): every identity source must be present or the gateway answers 401 without calling
 * the function; the function gets the authorizer event; a failure with the message `Unauthorized`
 * is 401, `isAuthorized: false` is 403, anything else malformed is 500; a verdict is cached for the
 * authorizer's TTL under the identity sources' values.
 */
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import type { AuthorizerSpec } from './assembly';
import { LambdaError } from './lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './local-aws';

export type AuthorizerOutcome =
  | { kind: 'allow'; context: Record<string, unknown> }
  /** 401 */
  | { kind: 'unauthorized' }
  /** 403 */
  | { kind: 'forbidden' }
  /** 500: the authorizer failed or answered something malformed. */
  | { kind: 'error'; reason: string };

/** The identity sources' values for a request, or undefined when one is missing or empty (401, no call). */
export function identityValues(sources: string[], event: APIGatewayProxyEventV2): string[] | undefined {
  const values: string[] = [];
  for (const source of sources) {
    const value = identityValue(source, event);
    if (value === undefined || value === '') return undefined;
    values.push(value);
  }
  return values;
}

function identityValue(source: string, event: APIGatewayProxyEventV2): string | undefined {
  const [, where, name = ''] = /^\$(request\.header|request\.querystring|context|stageVariables)\.(.+)$/.exec(source) ?? [];
  switch (where) {
    case 'request.header':
      // Header names are case-insensitive; the event has them lowercased.
      return event.headers[name.toLowerCase()];
    case 'request.querystring':
      return event.queryStringParameters?.[name];
    case 'context': {
      const value = name.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], event.requestContext);
      return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
    }
    case 'stageVariables':
      return event.stageVariables?.[name];
    default:
      throw new Error(`identity source ${source} is not one API Gateway takes`);
  }
}

/** The payload-2.0 authorizer event for the request the route would get. */
export function authorizerEvent(event: APIGatewayProxyEventV2, identitySource: string[]): APIGatewayRequestAuthorizerEventV2 {
  const { requestContext } = event;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${requestContext.apiId}/${requestContext.stage}/${requestContext.http.method}${event.rawPath}`,
    identitySource,
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers,
    ...(event.queryStringParameters && { queryStringParameters: event.queryStringParameters }),
    requestContext,
    ...(event.pathParameters && { pathParameters: event.pathParameters }),
    ...(event.stageVariables && { stageVariables: event.stageVariables }),
  };
}

/** What the function's result or failure means to the gateway. */
export function outcomeOf(result: PromiseSettledResult<unknown>): AuthorizerOutcome {
  if (result.status === 'rejected') {
    const error: unknown = result.reason;
    if (error instanceof LambdaError && error.errorMessage === 'Unauthorized') return { kind: 'unauthorized' };
    return { kind: 'error', reason: error instanceof Error ? error.message : String(error) };
  }
  const value = result.value as { isAuthorized?: unknown; context?: unknown } | null;
  if (value === null || typeof value !== 'object' || typeof value.isAuthorized !== 'boolean') {
    return { kind: 'error', reason: 'the authorizer answered without a boolean isAuthorized' };
  }
  if (value.context !== undefined && (value.context === null || typeof value.context !== 'object' || Array.isArray(value.context))) {
    return { kind: 'error', reason: 'the authorizer answered a context that is not an object' };
  }
  if (!value.isAuthorized) return { kind: 'forbidden' };
  return { kind: 'allow', context: (value.context ?? {}) as Record<string, unknown> };
}

/** Verdicts by authorizer and identity values, each kept for the authorizer's TTL. */
export class AuthorizerCache {
  private readonly entries = new Map<string, { outcome: AuthorizerOutcome; expires: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  get(authorizer: AuthorizerSpec, values: string[], now = Date.now()): AuthorizerOutcome | undefined {
    const key = cacheKey(authorizer, values);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires > now) return entry.outcome;
    this.entries.delete(key);
    return undefined;
  }

  /** Allow and deny verdicts are cached; failures (401 by `Unauthorized`, 500) are not. */
  set(authorizer: AuthorizerSpec, values: string[], outcome: AuthorizerOutcome, now = Date.now()): void {
    if (authorizer.resultTtlSeconds <= 0 || (outcome.kind !== 'allow' && outcome.kind !== 'forbidden')) return;
    if (this.entries.size >= this.maxEntries) {
      for (const [key, entry] of this.entries) if (entry.expires <= now) this.entries.delete(key);
      if (this.entries.size >= this.maxEntries) this.entries.clear();
    }
    this.entries.set(cacheKey(authorizer, values), { outcome, expires: now + authorizer.resultTtlSeconds * 1000 });
  }
}

function cacheKey(authorizer: AuthorizerSpec, values: string[]): string {
  return JSON.stringify([authorizer.logicalId, ...values]);
}
