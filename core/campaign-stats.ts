import { createHash } from 'node:crypto';

/**
 * A campaign's live counters. `targeted` counts enrollments; the email outcomes count messages
 * (each message at most once per outcome, however often SES reports it); `skipped_<reason>` counts
 * steps not sent, by why.
 */
export const campaignCounters = [
  'targeted',
  'sent',
  'delivered',
  'opened',
  'clicked',
  'unsubscribed',
  'bounced',
  'complained',
  'skipped_no_consent',
  'skipped_unsubscribed',
  'skipped_suppressed',
  'skipped_left_segment',
  'skipped_sales_stage',
  'skipped_condition',
] as const;
export type CampaignCounter = (typeof campaignCounters)[number];

/**
 * Counters are spread over this many items so that a launch sending hundreds of emails a second
 * does not write one item (one partition key's 1,000 writes/s) hot; a read sums the shards.
 */
export const CAMPAIGN_STATS_SHARDS = 16;

/** The shard a lead's counter updates go to: stable, so one lead's updates of one campaign land together. */
export function campaignStatsShard(leadId: string): number {
  return createHash('sha256').update(leadId).digest().readUInt16BE(0) % CAMPAIGN_STATS_SHARDS;
}

export type CampaignStats = Record<CampaignCounter, number>;

/** The sum of the shards' counters (a shard holds only the counters it was ever added to). */
export function sumCampaignStats(shards: ReadonlyArray<Partial<Record<string, unknown>>>): CampaignStats {
  const stats = Object.fromEntries(campaignCounters.map((name) => [name, 0])) as CampaignStats;
  for (const shard of shards) {
    for (const name of campaignCounters) {
      const value = shard[name];
      if (typeof value === 'number') stats[name] += value;
    }
  }
  return stats;
}
