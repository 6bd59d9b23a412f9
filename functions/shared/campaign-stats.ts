import { sumCampaignStats, type CampaignCounter, type CampaignStats } from '../../core/campaign-stats';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CAMPAIGN_SHARDS, keys, shardOf } from '../../core/keys';
import type { TransactItem } from './email-claims';
import { documents, tableEnv } from './table';

/**
 * The update that adds one to a campaign counter, as an item of the transaction that records what
 * it counts (the email's claim settled, the SES event's marker, the enrollment): a retried write
 * whose condition fails counts nothing, so a counter is never added to twice for one fact.
 */
export function campaignCounterUpdate(campaignId: string, counter: CampaignCounter, leadId: string): TransactItem {
  return {
    Update: {
      TableName: tableEnv.TABLE_NAME,
      Key: keys.campaignStats(campaignId, shardOf(leadId, CAMPAIGN_SHARDS)),
      UpdateExpression: 'ADD #counter :one',
      ExpressionAttributeNames: { '#counter': counter },
      ExpressionAttributeValues: { ':one': 1 },
    },
  };
}

/** A campaign's counters now: its shards read at once (consistent reads), summed. */
export async function readCampaignStats(campaignId: string): Promise<CampaignStats> {
  const shards = await Promise.all(
    Array.from({ length: CAMPAIGN_SHARDS }, async (_, shard) => {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.campaignStats(campaignId, shard), ConsistentRead: true }),
      );
      return Item ?? {};
    }),
  );
  return sumCampaignStats(shards);
}
