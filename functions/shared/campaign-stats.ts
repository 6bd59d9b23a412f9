import { campaignStatsShard, sumCampaignStats, type CampaignCounter, type CampaignStats } from '../../core/campaign-stats';
import { keys } from '../../core/keys';
import type { TransactItem } from './email-claims';
import { queryAll, tableEnv } from './table';

/**
 * The update that adds one to a campaign counter, as an item of the transaction that records what
 * it counts (the email's claim settled, the SES event's marker, the enrollment): a retried write
 * whose condition fails counts nothing, so a counter is never added to twice for one fact.
 */
export function campaignCounterUpdate(campaignId: string, counter: CampaignCounter, leadId: string): TransactItem {
  return {
    Update: {
      TableName: tableEnv.TABLE_NAME,
      Key: keys.campaignStats(campaignId, campaignStatsShard(leadId)),
      UpdateExpression: 'ADD #counter :one',
      ExpressionAttributeNames: { '#counter': counter },
      ExpressionAttributeValues: { ':one': 1 },
    },
  };
}

/** A campaign's counters now: one Query over its stats shards, summed. */
export async function readCampaignStats(campaignId: string): Promise<CampaignStats> {
  const shards = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :stats)',
    ExpressionAttributeValues: { ':pk': keys.campaignStats(campaignId, 0).pk, ':stats': keys.campaignStatsPrefix },
    ConsistentRead: true,
  });
  return sumCampaignStats(shards);
}
