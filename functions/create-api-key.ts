import { PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { generateApiKey, hashApiKey, scopes } from '../core/api-key';
import { ValidationError, detailsFromIssues } from '../core/errors';
import { keys } from '../core/keys';
import { authorize } from './shared/auth';
import { httpHandler } from './shared/http';
import { parseJsonObject } from './shared/json-body';
import { documents, tableEnv } from './shared/table';

const newKeySchema = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(scopes)).min(1),
});

/** POST /v1/api-keys (admin): issues a key; the plaintext is shown once and only its hash is kept. */
export const handler = httpHandler(async (request) => {
  await authorize(request, 'admin');
  const parsed = newKeySchema.safeParse(parseJsonObject(request));
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
  return { status: 201, json: { key, name: parsed.data.name, scopes: parsed.data.scopes, createdAt } };
});
