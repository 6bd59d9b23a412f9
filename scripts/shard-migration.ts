/**
 * Brings a table written before write sharding (core/keys.ts) to the sharded layout: a lead's
 * byStage key gains its shard (`STAGE#new` -> `STAGE#new#<shard>`), a campaign's enrollments and
 * counters move from `CAMPAIGN#<id>` to `CAMPAIGN#<id>#<shard>`. Until then the readers, which read
 * only the shards, would not see those leads and enrollments.
 *
 * Safe to run on a live table and to run again: every change is conditioned on the item still
 * being in the old layout, and a move between partitions is one transaction (the new item written,
 * the old one deleted), so a crash or a concurrent writer leaves each item in one layout or the
 * other, never both, and a counter is never added twice. It scans, once: a migration reads
 * everything by nature; nothing on the request path does.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { ScanCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { campaignCounters } from '../core/campaign-stats';
import { CAMPAIGN_SHARDS, keys } from '../core/keys';

export interface ShardMigration {
  leads: number;
  enrollments: number;
  counters: number;
}

type Item = Record<string, unknown>;

/** `CAMPAIGN#<id>` without a shard: the layout before sharding (a sharded one ends in `#<digits>`). */
const unshardedCampaign = /^CAMPAIGN#([^#]+)$/;

export async function migrateToShardedKeys(documents: DynamoDBDocumentClient, tableName: string): Promise<ShardMigration> {
  const done: ShardMigration = { leads: 0, enrollments: 0, counters: 0 };
  let startKey: Item | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      if (await migrateLead(documents, tableName, item)) done.leads += 1;
      const campaignId = unshardedCampaign.exec(String(item.pk))?.[1];
      if (campaignId === undefined) continue;
      const sk = String(item.sk);
      if (sk.startsWith('ENROLLMENT#') && (await moveEnrollment(documents, tableName, item, campaignId, sk.slice('ENROLLMENT#'.length)))) {
        done.enrollments += 1;
      } else if (
        /^STATS#\d+$/.test(sk) &&
        (await moveCounters(documents, tableName, item, campaignId, Number(sk.slice('STATS#'.length))))
      ) {
        done.counters += 1;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return done;
}

async function migrateLead(documents: DynamoDBDocumentClient, tableName: string, item: Item): Promise<boolean> {
  if (item.sk !== 'LEAD' || typeof item.gsi1pk !== 'string' || typeof item.stage !== 'string') return false;
  const expected = keys.leadByStage(item.stage, String(item.createdAt), String(item.leadId)).gsi1pk;
  if (item.gsi1pk === expected || /#\d+$/.test(item.gsi1pk)) return false;
  return ignoringLostRace(
    documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET gsi1pk = :sharded',
        // A lead stored meanwhile by the current code already has its sharded key.
        ConditionExpression: 'gsi1pk = :old',
        ExpressionAttributeValues: { ':sharded': expected, ':old': item.gsi1pk },
      }),
    ),
  );
}

async function moveEnrollment(documents: DynamoDBDocumentClient, tableName: string, item: Item, campaignId: string, leadId: string) {
  return ignoringLostRace(
    documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: { ...item, ...keys.enrollment(campaignId, leadId) },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Delete: { TableName: tableName, Key: { pk: item.pk, sk: item.sk }, ConditionExpression: 'attribute_exists(pk)' } },
        ],
      }),
    ),
  );
}

/**
 * An old counter shard is added to the new shard of the same number (the totals are what a read
 * sums; which shard holds a count does not matter), and deleted in the same transaction.
 */
async function moveCounters(documents: DynamoDBDocumentClient, tableName: string, item: Item, campaignId: string, shard: number) {
  const counts = campaignCounters.filter((name) => typeof item[name] === 'number' && item[name] !== 0);
  const names = Object.fromEntries(counts.map((name, i) => [`#c${i}`, name]));
  const values = Object.fromEntries(counts.map((name, i) => [`:c${i}`, item[name]]));
  const target = keys.campaignStats(campaignId, shard % CAMPAIGN_SHARDS);
  return ignoringLostRace(
    documents.send(
      new TransactWriteCommand({
        TransactItems: [
          ...(counts.length > 0
            ? [
                {
                  Update: {
                    TableName: tableName,
                    Key: target,
                    UpdateExpression: `ADD ${counts.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
                    ExpressionAttributeNames: names,
                    ExpressionAttributeValues: values,
                  },
                },
              ]
            : []),
          { Delete: { TableName: tableName, Key: { pk: item.pk, sk: item.sk }, ConditionExpression: 'attribute_exists(pk)' } },
        ],
      }),
    ),
  );
}

/** False when the item was changed or moved meanwhile (by a concurrent run, or the current code). */
async function ignoringLostRace(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException) return false;
    throw error;
  }
}
