/**
 * Issues an API key straight into a deployed table: the way to get the first admin key (later
 * keys come from POST /v1/api-keys). Prints the key once; only its hash is stored.
 *
 *   npx tsx scripts/create-api-key.ts --table <TableName> --name ops --scopes admin[,leads:read...]
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { scopes } from '../core/api-key';
import { issueApiKey } from '../functions/shared/api-key-store';

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

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const issued = await issueApiKey({ client: documents, tableName: args.table }, { name: args.name, scopes: args.scopes }, new Date());
console.log(`API key ${issued.keyId} for ${args.name} (${args.scopes.join(', ')}): ${issued.key}`);
console.log('It is shown only now; leadflow keeps only its hash. Revoke or rotate it by its id (DELETE /v1/api-keys/<keyId>).');
