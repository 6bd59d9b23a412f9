import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { CallerContext } from '../../core/api-key';

/** Who called a route behind the gateway's authorizer (functions/authorize-request.ts). */
export interface Caller {
  keyId: string;
  name: string;
  scopes: string[];
}

/**
 * The caller the gateway's authorizer admitted, from `requestContext.authorizer.lambda`. Keys and
 * scopes are checked at the gateway, before the function runs; a route without the authorizer
 * (public capture, health) has no caller.
 */
export function callerOf(event: APIGatewayProxyEventV2): Caller | undefined {
  const context = (event.requestContext as { authorizer?: { lambda?: Partial<CallerContext> } }).authorizer?.lambda;
  if (typeof context?.keyId !== 'string' || typeof context.keyName !== 'string') return undefined;
  return { keyId: context.keyId, name: context.keyName, scopes: (context.scopes ?? '').split(' ').filter(Boolean) };
}
