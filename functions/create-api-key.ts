import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { generateApiKey, hashApiKey, newApiKeySchema, type IssuedApiKey } from '../core/api-key';
import { ValidationError, detailsFromIssues } from '../core/errors';
import { keys } from '../core/keys';
import { apiKeyWith } from './shared/auth';
import { httpHandler } from './shared/http';
import { documents, tableEnv } from './shared/table';

/** POST /v1/api-keys (admin): issues a key; the plaintext is shown once and only its hash is kept. */
export const handler = httpHandler(
  async (request) => {
    const parsed = newApiKeySchema.safeParse(request.body);
    if (!parsed.success) throw new ValidationError('the API key request is invalid', detailsFromIssues(parsed.error.issues));
    const key = generateApiKey();
    const createdAt = new Date().toISOString();
    await documents.send(
      new PutCommand({
        TableName: tableEnv.TABLE_NAME,
        Item: { ...keys.apiKey(hashApiKey(key)), name: parsed.data.name, scopes: parsed.data.scopes, createdAt },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    const issued: IssuedApiKey = { key, name: parsed.data.name, scopes: parsed.data.scopes, createdAt };
    return { status: 201, json: issued };
  },
  { auth: apiKeyWith('admin'), body: 'json' },
);
