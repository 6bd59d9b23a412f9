/**
 * API keys in the table (layout in core/keys.ts): each key is an item under its hash and one under
 * its public id, always written together in one transaction. The client and table are passed in,
 * so the functions, the local cloud's seed and scripts/create-api-key.ts share one implementation.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  apiKeyRecordSchema,
  generateApiKey,
  generateKeyId,
  hashApiKey,
  isKeyActive,
  rotationEnd,
  type ApiKeyRecord,
  type ApiKeyView,
  type IssuedApiKey,
  type NewApiKey,
  type RotatedApiKey,
} from '../../core/api-key';
import { ConflictError, NotFoundError } from '../../core/errors';
import { keys, tableKeys, type ItemKey } from '../../core/keys';

export interface KeyStore {
  client: DynamoDBDocumentClient;
  tableName: string;
}

const NEW_ITEM = `attribute_not_exists(${tableKeys.partitionKey})`;

/** The record stored for a key (under both items) and the id item's pointer to the hash. */
function itemsFor(record: ApiKeyRecord, keyHash: string, tableName: string) {
  return [
    { Put: { TableName: tableName, Item: { ...keys.apiKey(keyHash), ...record }, ConditionExpression: NEW_ITEM } },
    { Put: { TableName: tableName, Item: { ...keys.apiKeyById(record.keyId), ...record, keyHash }, ConditionExpression: NEW_ITEM } },
  ];
}

/** Issues a key: its plaintext is returned once, only its hash is stored. `key` lets the local seed keep its key across restarts. */
export async function issueApiKey(store: KeyStore, request: NewApiKey, now: Date, key = generateApiKey()): Promise<IssuedApiKey> {
  const record: ApiKeyRecord = { keyId: generateKeyId(), name: request.name, scopes: request.scopes, createdAt: now.toISOString() };
  await store.client.send(new TransactWriteCommand({ TransactItems: itemsFor(record, hashApiKey(key), store.tableName) }));
  return { keyId: record.keyId, key, name: record.name, scopes: record.scopes, createdAt: record.createdAt };
}

/**
 * The stored record of a key, if it exists and is usable now. One strongly consistent read, never
 * cached: a revocation holds from the moment it is written (the gateway's 1 s result cache aside).
 */
export async function findActiveKey(store: KeyStore, key: string, now: Date): Promise<ApiKeyRecord | undefined> {
  const { Item } = await store.client.send(
    new GetCommand({ TableName: store.tableName, Key: keys.apiKey(hashApiKey(key)), ConsistentRead: true }),
  );
  const parsed = Item ? apiKeyRecordSchema.safeParse(Item) : undefined;
  return parsed?.success && isKeyActive(parsed.data, now) ? parsed.data : undefined;
}

/** Every key, newest first, without the key or its hash. */
export async function listApiKeys(store: KeyStore): Promise<ApiKeyView[]> {
  const views: ApiKeyView[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await store.client.send(
      new QueryCommand({
        TableName: store.tableName,
        KeyConditionExpression: `${tableKeys.partitionKey} = :pk`,
        ExpressionAttributeValues: { ':pk': keys.apiKeysPartition },
        ExclusiveStartKey,
      }),
    );
    // Parsing keeps only the record's own fields: the hash never leaves.
    for (const item of page.Items ?? []) views.push(apiKeyRecordSchema.parse(item));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return views.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

async function storedById(store: KeyStore, keyId: string): Promise<{ record: ApiKeyRecord; keyHash: string }> {
  const { Item } = await store.client.send(
    new GetCommand({ TableName: store.tableName, Key: keys.apiKeyById(keyId), ConsistentRead: true }),
  );
  if (!Item || typeof Item.keyHash !== 'string') throw new NotFoundError('there is no such API key');
  return { record: apiKeyRecordSchema.parse(Item), keyHash: Item.keyHash };
}

/** Revokes a key at once (both items in one transaction). Revoking a revoked key changes nothing. */
export async function revokeApiKey(store: KeyStore, keyId: string, now: Date): Promise<ApiKeyView> {
  const { record, keyHash } = await storedById(store, keyId);
  if (record.revokedAt) return record;
  const revokedAt = now.toISOString();
  const update = (Key: ItemKey) => ({
    Update: {
      TableName: store.tableName,
      Key,
      UpdateExpression: 'SET revokedAt = :now',
      ConditionExpression: `attribute_exists(${tableKeys.partitionKey}) AND attribute_not_exists(revokedAt)`,
      ExpressionAttributeValues: { ':now': revokedAt },
    },
  });
  try {
    await store.client.send(new TransactWriteCommand({ TransactItems: [update(keys.apiKeyById(keyId)), update(keys.apiKey(keyHash))] }));
  } catch (error) {
    // Revoked meanwhile by another request: the outcome asked for holds.
    if (error instanceof TransactionCanceledException) return (await storedById(store, keyId)).record;
    throw error;
  }
  return { ...record, revokedAt };
}

/**
 * Rotates a key: a new key with the same name and scopes, and the old one keeps working until the
 * overlap ends (never later than an end it already had). The four writes are one transaction.
 */
export async function rotateApiKey(store: KeyStore, keyId: string, overlapSeconds: number, now: Date): Promise<RotatedApiKey> {
  const { record, keyHash } = await storedById(store, keyId);
  if (!isKeyActive(record, now)) throw new ConflictError('api_key_inactive', 'a revoked or expired API key cannot be rotated');
  const expiresAt = rotationEnd(record, overlapSeconds, now);
  const key = generateApiKey();
  const next: ApiKeyRecord = { keyId: generateKeyId(), name: record.name, scopes: record.scopes, createdAt: now.toISOString() };
  const shorten = (Key: ItemKey) => ({
    Update: {
      TableName: store.tableName,
      Key,
      UpdateExpression: 'SET expiresAt = :end',
      // Unchanged since it was read: a concurrent revocation or rotation wins, this one is refused.
      ConditionExpression:
        record.expiresAt === undefined
          ? 'attribute_not_exists(revokedAt) AND attribute_not_exists(expiresAt)'
          : 'attribute_not_exists(revokedAt) AND expiresAt = :previous',
      ExpressionAttributeValues: { ':end': expiresAt, ...(record.expiresAt !== undefined && { ':previous': record.expiresAt }) },
    },
  });
  try {
    await store.client.send(
      new TransactWriteCommand({
        TransactItems: [
          shorten(keys.apiKeyById(keyId)),
          shorten(keys.apiKey(keyHash)),
          ...itemsFor(next, hashApiKey(key), store.tableName),
        ],
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException) {
      throw new ConflictError('api_key_changed', 'the API key was revoked or rotated meanwhile; read it again', [], { cause: error });
    }
    throw error;
  }
  return { keyId: next.keyId, key, name: next.name, scopes: next.scopes, createdAt: next.createdAt, rotated: { keyId, expiresAt } };
}
