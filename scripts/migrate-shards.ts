/**
 * Brings a deployed table written before write sharding to the sharded layout (see
 * scripts/shard-migration.ts): run it once after deploying this version. Safe on a live table and
 * safe to run again.
 *
 *   npx tsx scripts/migrate-shards.ts --table <TableName>
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { migrateToShardedKeys } from './shard-migration';

const { values } = parseArgs({ options: { table: { type: 'string' } } });
if (!values.table) {
  console.error('pass --table <TableName> (the stack output or the console shows it)');
  process.exit(2);
}
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const done = await migrateToShardedKeys(documents, values.table);
console.log(`sharded: ${done.leads} leads' stage keys, ${done.enrollments} campaign enrollments, ${done.counters} counter items`);
