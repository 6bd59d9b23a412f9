/**
 * Issues an API key straight into a deployed table: the way to get the first admin key (later
 * keys come from POST /v1/api-keys). Prints the key once; only its hash is stored.
 *
 *   npx tsx scripts/create-api-key.ts --table <TableName> --name ops --scopes admin[,leads:read...]
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { generateApiKey, hashApiKey, scopes } from '../core/api-key';
import { keys } from '../core/keys';

const { values } = parseArgs({
  options: { table: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'string', default: 'admin' } },
});
const args = z
  .object({
    table: z.string().min(1, 'pass --table <TableName> (the stack output or the console shows it)'),
    name: z.string().min(1, 'pass --name <who the key is for>'),
    scopes: z.string().transform((list) => z.array(z.enum(scopes)).min(1).parse(list.split(','))),
  })
  .parse(values);

const key = generateApiKey();
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
await documents.send(
  new PutCommand({
    TableName: args.table,
    Item: { ...keys.apiKey(hashApiKey(key)), name: args.name, scopes: args.scopes, createdAt: new Date().toISOString() },
    ConditionExpression: 'attribute_not_exists(pk)',
  }),
);
console.log(`API key for ${args.name} (${args.scopes.join(', ')}): ${key}`);
console.log('It is shown only now; leadflow keeps only its hash.');
