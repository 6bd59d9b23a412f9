import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { UnauthorizedError } from '../../core/errors';
import { apiKeyRecordSchema, bearerToken, hashApiKey, requireScope, type ApiKeyRecord, type Scope } from '../../core/api-key';
import { keys } from '../../core/keys';
import type { HttpRequest } from './http';
import { documents, tableEnv } from './table';

/** Verified keys are remembered briefly per container so a busy client costs one read a minute. */
const KEY_CACHE_MS = 60_000;
const cache = new Map<string, { record: ApiKeyRecord; expires: number }>();

/** Checks `Authorization: Bearer <key>` against the hashed key store: 401 without a key, 403 without the scope. */
export async function authorize(request: HttpRequest, scope: Scope): Promise<ApiKeyRecord> {
  const token = bearerToken(request.headers.authorization);
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
