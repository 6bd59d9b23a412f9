/**
 * What a fresh local cloud needs to be usable at once: the demo landing page's form and a local
 * admin API key, written straight into the table in the layout of core/keys.ts.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { apiKeyRecordSchema, generateApiKey, hashApiKey, isKeyActive } from '../core/api-key';
import { formSchema } from '../core/form';
import { keys } from '../core/keys';
import { issueApiKey } from '../functions/shared/api-key-store';

export interface SeedOptions {
  tableName: string;
  siteUrl: string;
  /** Holds the admin key's plaintext, so it stays the same across restarts. */
  adminKeyFile: string;
}

/** Upserts the `default` form (the site's URL can change between runs) and ensures the admin key; returns the key. */
export async function seed(client: DynamoDBClient, options: SeedOptions): Promise<string> {
  const documents = DynamoDBDocumentClient.from(client);
  const now = new Date().toISOString();
  const form = formSchema.parse({
    formId: 'default',
    name: 'Demo landing page',
    allowedOrigins: [options.siteUrl],
    redirectUrl: `${options.siteUrl}/thanks.html`,
    honeypotField: '_gotcha',
    // Everything that reaches the local cloud comes from one address (this machine), the demo
    // page, the browser tests and the benchmarks alike: per-client limits would count them as one
    // client. Forms you create get the defaults.
    rateLimit: { perMinute: 1_000_000, perClientPerMinute: 1_000_000 },
  });
  await documents.send(new PutCommand({ TableName: options.tableName, Item: { ...keys.form(form.formId), ...form, updatedAt: now } }));

  const stored = existsSync(options.adminKeyFile) ? readFileSync(options.adminKeyFile, 'utf8').trim() : undefined;
  const adminKey = await ensureAdminKey(documents, options.tableName, stored, new Date(now));
  writeFileSync(options.adminKeyFile, `${adminKey}\n`, { mode: 0o600 });
  return adminKey;
}

/**
 * The kept admin key while it is stored and usable; a key stored before keys had ids is stored
 * again in the current layout; a revoked or expired one (or none) is replaced by a new key.
 */
async function ensureAdminKey(
  documents: DynamoDBDocumentClient,
  tableName: string,
  stored: string | undefined,
  now: Date,
): Promise<string> {
  const store = { client: documents, tableName };
  if (stored) {
    const { Item } = await documents.send(
      new GetCommand({ TableName: tableName, Key: keys.apiKey(hashApiKey(stored)), ConsistentRead: true }),
    );
    const record = Item ? apiKeyRecordSchema.safeParse(Item) : undefined;
    if (record?.success && isKeyActive(record.data, now)) return stored;
    if (!record?.success) {
      if (Item) await documents.send(new DeleteCommand({ TableName: tableName, Key: keys.apiKey(hashApiKey(stored)) }));
      return (await issueApiKey(store, { name: 'local-admin', scopes: ['admin'] }, now, stored)).key;
    }
  }
  return (await issueApiKey(store, { name: 'local-admin', scopes: ['admin'] }, now, generateApiKey())).key;
}
