import { bearerToken, requireScope, type Scope } from '../../core/api-key';
import { UnauthorizedError } from '../../core/errors';
import { findActiveKey } from './api-key-store';
import type { Caller } from './auth';
import { documents, tableEnv } from './table';

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
