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

export type CampaignStats = Record<CampaignCounter, number>;

/**
 * The sum of a campaign's counter shards (one per `CAMPAIGN_SHARDS` partition, core/keys.ts: a
 * launch counts its enrollments in as many partitions as it writes them); a shard holds only the
 * counters it was ever added to.
 */
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
