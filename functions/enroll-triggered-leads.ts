import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { leadChangeOf, triggerMatches } from '../core/campaign';
import { enrollAndStart } from './shared/campaign-sequences';
import { listCampaigns, type StoredCampaign } from './shared/campaigns-repository';
import { logger, observed } from './shared/observability';

/** Active campaigns with triggers are read at most this often (a busy stream reads them once per few batches). */
const CAMPAIGNS_CACHE_MS = 5_000;
let cached: { campaigns: StoredCampaign[]; readAt: number } | undefined;

async function triggeredCampaigns(now: number): Promise<StoredCampaign[]> {
  if (!cached || now - cached.readAt >= CAMPAIGNS_CACHE_MS) {
    const campaigns = (await listCampaigns()).filter((campaign) => campaign.status === 'active' && (campaign.triggers?.length ?? 0) > 0);
    cached = { campaigns, readAt: now };
  }
  return cached.campaigns;
}

/**
 * Triggered enrollment, from the table stream: a new history entry that records a capture, a
 * stage entered or an engagement event enrolls its lead into every active campaign with a
 * matching trigger, once (the enrollment's condition; a redelivered record enrolls nobody twice).
 */
export const handler = observed(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const image = record.dynamodb?.NewImage;
      if (!image) continue;
      const entry = unmarshall(image as Record<string, AttributeValue>) as {
        leadId?: string;
        type: string;
        data?: Record<string, unknown>;
      };
      const change = leadChangeOf(entry);
      if (!change || !entry.leadId) continue;
      const now = new Date();
      for (const campaign of await triggeredCampaigns(now.getTime())) {
        if (!campaign.triggers?.some((trigger) => triggerMatches(trigger, change))) continue;
        const enrolled = await enrollAndStart(campaign, entry.leadId, now);
        if (enrolled) logger.info('lead enrolled by a trigger', { campaignId: campaign.campaignId, change: change.kind });
      }
    } catch (error) {
      logger.error('triggered enrollment failed', { error: error as Error });
      failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
    }
  }
  return { batchItemFailures: failures };
});
