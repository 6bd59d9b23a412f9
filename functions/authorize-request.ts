import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import * as z from 'zod';
import { bearerToken, hasScope, scopes, type CallerContext } from '../core/api-key';
import { findActiveKey } from './shared/api-key-store';
import { logger, observed } from './shared/observability';
import { documents, tableEnv } from './shared/table';

/**
 * The routes' scopes by route key (`GET /v1/leads/{leadId}` -> `leads:read`), built at synth from
 * api/routes.ts, where each route declares its scope once.
 */
const routeScopes = z
  .object({ ROUTE_SCOPES: z.string().transform((text) => JSON.parse(text) as unknown) })
  .transform(({ ROUTE_SCOPES }) => z.record(z.string(), z.enum(scopes)).parse(ROUTE_SCOPES))
  .parse(process.env);

const store = { client: documents, tableName: tableEnv.TABLE_NAME };

/** API Gateway answers 401 `{"message":"Unauthorized"}` when a Lambda authorizer fails with exactly this message. */
const UNAUTHORIZED = 'Unauthorized';

/**
 * The HTTP API's Lambda REQUEST authorizer (payload 2.0, simple responses): the bearer key's hash
 * must name a stored key that is neither revoked nor past its rotation overlap (401 otherwise),
 * holding the route's scope (403 otherwise; `admin` holds every scope). The key is read with one
 * consistent GetItem and never cached here: the gateway caches a result for 1 s per key and route,
 * which is the bound on how long a revoked key keeps working.
 */
export const handler = observed(
  async (event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerWithContextResult<CallerContext>> => {
    const token = bearerToken(event.headers?.authorization);
    if (!token) throw new Error(UNAUTHORIZED);
    const record = await findActiveKey(store, token, new Date());
    if (!record) {
      logger.info('API key refused', { routeKey: event.routeKey });
      throw new Error(UNAUTHORIZED);
    }
    // A route the registry does not know is refused: nothing is reachable by omission.
    const scope = routeScopes[event.routeKey];
    const isAuthorized = scope !== undefined && hasScope(record.scopes, scope);
    if (!isAuthorized) logger.info('API key lacks the scope', { keyId: record.keyId, routeKey: event.routeKey, scope });
    return { isAuthorized, context: { keyId: record.keyId, keyName: record.name, scopes: record.scopes.join(' ') } };
  },
);
