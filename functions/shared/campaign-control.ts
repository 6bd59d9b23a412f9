import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../core/keys';
import { documents, queryAll, tableEnv } from './table';

/**
 * The statuses a campaign can be in. Senders check it before every step: `paused` holds pending
 * steps until a resume, `cancelled` ends them.
 */
export const campaignStatuses = ['draft', 'active', 'paused', 'cancelled'] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

/**
 * Pauses every active campaign, saying why (the deliverability guard, when bounce or complaint
 * rates pass their limits). A campaign changed meanwhile (paused, cancelled by a person) is left
 * as it is. Returns the ids of the campaigns it paused.
 */
export async function pauseActiveCampaigns(reason: string, now: Date): Promise<string[]> {
  const active = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    FilterExpression: '#status = :active',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':pk': keys.campaignsPartition, ':active': 'active' },
    ProjectionExpression: 'pk, sk, campaignId',
    ConsistentRead: true,
  });
  const paused: string[] = [];
  for (const item of active) {
    const campaignId = String(item.campaignId);
    try {
      await documents.send(
        new UpdateCommand({
          TableName: tableEnv.TABLE_NAME,
          Key: keys.campaign(campaignId),
          UpdateExpression: 'SET #status = :paused, pausedReason = :reason, pausedAt = :now, pausedBy = :guard',
          ConditionExpression: '#status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':paused': 'paused',
            ':active': 'active',
            ':reason': reason,
            ':now': now.toISOString(),
            ':guard': 'deliverability-guard',
          },
        }),
      );
      paused.push(campaignId);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  return paused;
}
