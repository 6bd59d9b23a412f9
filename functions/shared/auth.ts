import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { bearerToken, requireScope, type CallerContext, type Scope } from '../../core/api-key';
import { UnauthorizedError } from '../../core/errors';
import { findActiveKey } from './api-key-store';
import { documents, tableEnv } from './table';

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

/**
 * For the one public route that also takes a key (capture: a keyed submission is trusted and
 * answered with its lead id): no gateway authorizer runs there, so the key is checked here, the
 * way the authorizer checks it. 401 for a key that is not valid, 403 without the scope.
 */
export async function keyHolder(authorization: string, scope: Scope): Promise<Caller> {
  const token = bearerToken(authorization);
  const record = token ? await findActiveKey({ client: documents, tableName: tableEnv.TABLE_NAME }, token, new Date()) : undefined;
  if (!record) throw new UnauthorizedError('the API key is not valid');
  requireScope(record, scope);
  return { keyId: record.keyId, name: record.name, scopes: record.scopes };
}
