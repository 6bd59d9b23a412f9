import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { UnauthorizedError } from '../../core/errors';
import { apiKeyRecordSchema, bearerToken, hashApiKey, requireScope, type ApiKeyRecord, type Scope } from '../../core/api-key';
import { keys } from '../../core/keys';
import { documents, tableEnv } from './table';

/** Verified keys are remembered briefly per container so a busy client costs one read a minute. */
const KEY_CACHE_MS = 60_000;
const cache = new Map<string, { record: ApiKeyRecord; expires: number }>();

/** The HTTP wrapper's check for a route that needs `scope`. */
export function apiKeyWith(scope: Scope): (authorization: string | undefined) => Promise<ApiKeyRecord> {
  return (authorization) => authorize(authorization, scope);
}

/** Checks `Authorization: Bearer <key>` against the hashed key store: 401 without a key, 403 without the scope. */
export async function authorize(authorization: string | undefined, scope: Scope): Promise<ApiKeyRecord> {
  const token = bearerToken(authorization);
  if (!token) throw new UnauthorizedError('send an API key as Authorization: Bearer <key>');
  const hash = hashApiKey(token);
  let record = cache.get(hash);
  if (!record || record.expires <= Date.now()) {
    const { Item } = await documents.send(new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.apiKey(hash) }));
    const parsed = Item ? apiKeyRecordSchema.safeParse(Item) : undefined;
    if (!parsed?.success || parsed.data.revoked) throw new UnauthorizedError('the API key is not valid');
    record = { record: parsed.data, expires: Date.now() + KEY_CACHE_MS };
    cache.set(hash, record);
  }
  requireScope(record.record, scope);
  return record.record;
}
