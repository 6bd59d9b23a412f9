/**
 * What a fresh local cloud needs to be usable at once: the demo landing page's form and a local
 * admin API key, written straight into the table in the layout of core/keys.ts.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateApiKey, hashApiKey } from '../core/api-key';
import { formSchema } from '../core/form';
import { keys, tableKeys } from '../core/keys';

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
  });
  await documents.send(new PutCommand({ TableName: options.tableName, Item: { ...keys.form(form.formId), ...form, updatedAt: now } }));

  const adminKey = existsSync(options.adminKeyFile) ? readFileSync(options.adminKeyFile, 'utf8').trim() : generateApiKey();
  writeFileSync(options.adminKeyFile, `${adminKey}\n`, { mode: 0o600 });
  try {
    await documents.send(
      new PutCommand({
        TableName: options.tableName,
        Item: { ...keys.apiKey(hashApiKey(adminKey)), name: 'local-admin', scopes: ['admin'], createdAt: now },
        // Stored already (persisted data): keep its record as it is.
        ConditionExpression: `attribute_not_exists(${tableKeys.partitionKey})`,
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  return adminKey;
}
