import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { keys } from '../../core/keys';
import { migrateToShardedKeys } from '../../scripts/shard-migration';
import { admin, documents, json, nurturedLead } from './helpers';

/**
 * A table written before write sharding: its leads' byStage keys and its campaigns' enrollments and
 * counters in the old layout are invisible to the sharded readers until migrated; the migration
 * (run by every local cloud start, and by scripts/migrate-shards.ts on AWS) brings them over once.
 */
const run = randomUUID().slice(0, 8);

async function listed(stage: string, leadId: string): Promise<boolean> {
  let cursor: string | undefined;
  do {
    const page = await json(admin('GET', `/v1/leads?stage=${stage}&limit=100${cursor ? `&cursor=${cursor}` : ''}`));
    if (page.leads.some((lead: { leadId: string }) => lead.leadId === leadId)) return true;
    cursor = page.nextCursor;
  } while (cursor);
  return false;
}

describe('the migration to sharded keys', () => {
  it('brings old-layout leads, enrollments and counters over, once, and changes nothing on a second run', async () => {
    const tableName = inject('tableName');
    const { leadId } = await nurturedLead(`migration-${run}`, true, 'migrated');
    // The lead as stored before sharding: its stage's one partition.
    await documents().send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.lead(leadId),
        UpdateExpression: 'SET gsi1pk = :old',
        ExpressionAttributeValues: { ':old': 'STAGE#nurturing' },
      }),
    );
    expect(await listed('nurturing', leadId)).toBe(false);
    const campaignId = `cmp_migration${run}`;
    const oldEnrollment = {
      pk: `CAMPAIGN#${campaignId}`,
      sk: `ENROLLMENT#${leadId}`,
      campaignId,
      leadId,
      entry: 1,
      started: true,
      steps: { 'step-0': 'sent' },
    };
    const oldCounters = [3, 11].map((shard) => ({ pk: `CAMPAIGN#${campaignId}`, sk: `STATS#${shard}`, targeted: 2, sent: shard }));
    for (const Item of [oldEnrollment, ...oldCounters]) await documents().send(new PutCommand({ TableName: tableName, Item }));

    const first = await migrateToShardedKeys(documents(), tableName);
    expect(first.leads).toBeGreaterThanOrEqual(1);
    expect(first.enrollments).toBeGreaterThanOrEqual(1);
    expect(first.counters).toBeGreaterThanOrEqual(2);
    expect(await listed('nurturing', leadId)).toBe(true);
    const moved = await documents().send(
      new GetCommand({ TableName: tableName, Key: keys.enrollment(campaignId, leadId), ConsistentRead: true }),
    );
    expect(moved.Item).toMatchObject({ campaignId, leadId, entry: 1, steps: { 'step-0': 'sent' } });
    const old = await documents().send(
      new GetCommand({ TableName: tableName, Key: { pk: oldEnrollment.pk, sk: oldEnrollment.sk }, ConsistentRead: true }),
    );
    expect(old.Item).toBeUndefined();
    const counters = await Promise.all(
      [3, 11].map(
        async (shard) =>
          (
            await documents().send(
              new GetCommand({ TableName: tableName, Key: keys.campaignStats(campaignId, shard), ConsistentRead: true }),
            )
          ).Item,
      ),
    );
    expect(counters.map((item) => [item?.targeted, item?.sent])).toEqual([
      [2, 3],
      [2, 11],
    ]);

    // Again: nothing of this test's is left in the old layout, and no counter is added twice.
    await migrateToShardedKeys(documents(), tableName);
    const again = await documents().send(
      new GetCommand({ TableName: tableName, Key: keys.campaignStats(campaignId, 3), ConsistentRead: true }),
    );
    expect(again.Item).toMatchObject({ targeted: 2, sent: 3 });
  }, 120_000);
});
