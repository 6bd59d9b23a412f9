import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_SHARDS, EVENT_SHARDS, STAGE_SHARDS, keys } from '../../core/keys';
import { leadIdFor } from '../../core/lead';

/** 100,000 lead ids as capture makes them: a keyed hash of each address. */
const leadKey = randomBytes(32).toString('base64url');
const leadIds = Array.from({ length: 100_000 }, (_, i) => leadIdFor(`person-${i}@company-${i % 997}.example`, leadKey));

/** How many of the leads each partition key takes. */
function spread(partitionOf: (leadId: string) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const leadId of leadIds) counts.set(partitionOf(leadId), (counts.get(partitionOf(leadId)) ?? 0) + 1);
  return counts;
}

describe('write sharding spreads a burst evenly', () => {
  it.each([
    ['a stage of the byStage index', STAGE_SHARDS, (leadId: string) => keys.leadByStage('new', '2026-12-01T10:00:00.000Z', leadId).gsi1pk],
    ['an ingest day of the byDay index', EVENT_SHARDS, (leadId: string) => keys.eventDay(leadId, '2026-12-01T10:00:00.000Z', 'e1').gsi2pk],
    ["a campaign's enrollments", CAMPAIGN_SHARDS, (leadId: string) => keys.enrollment('cmp_1', leadId).pk],
  ])('%s: 100,000 leads over %i partitions, each within 10%% of even', (_, shards, partitionOf) => {
    const counts = spread(partitionOf);
    expect(counts.size).toBe(shards);
    const even = leadIds.length / shards;
    for (const [partition, count] of counts) expect(Math.abs(count - even) / even, partition).toBeLessThan(0.1);
  });

  it('keeps a lead in the same shard when it changes stage, and its counters beside its enrollment', () => {
    for (const leadId of leadIds.slice(0, 1_000)) {
      const shardOfStage = (stage: string) => keys.leadByStage(stage, 'x', leadId).gsi1pk.split('#')[2];
      expect(shardOfStage('qualified')).toBe(shardOfStage('new'));
      const enrollment = keys.enrollment('cmp_1', leadId).pk;
      expect(keys.campaignStats('cmp_1', Number(enrollment.split('#')[2])).pk).toBe(enrollment);
    }
  });
});
