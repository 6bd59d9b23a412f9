import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { salesStages, segmentMatches, segmentStages, type Segment } from '../../core/campaign';
import { STAGE_SHARDS, keys, tableKeys } from '../../core/keys';
import { leadSchema, type Lead } from '../../core/lead';
import type { Stage } from '../../core/stages';
import { withoutKeys } from './leads-repository';
import { documents, tableEnv } from './table';

/**
 * The stages a launch reads for a segment. Sales stages are left out: a lead there would be
 * stopped before its first step (marketing does not nurture sales' leads).
 */
export function launchStages(segment: Segment): Stage[] {
  return segmentStages(segment).filter((stage) => !salesStages.includes(stage));
}

/** One partition of the byStage index: a stage's shard (core/keys.ts). */
export interface StagePartition {
  stage: Stage;
  shard: number;
}

/** Every byStage partition a launch reads for a segment: each of its stages' `STAGE_SHARDS` shards. */
export function launchPartitions(segment: Segment): StagePartition[] {
  return launchStages(segment).flatMap((stage) => Array.from({ length: STAGE_SHARDS }, (_, shard) => ({ stage, shard })));
}

export interface SegmentPage {
  leads: Lead[];
  /** Where the next page of this stage partition starts; undefined at its end. */
  cursor?: Record<string, unknown>;
}

/**
 * One page of a byStage partition's leads that are in the segment (never a Scan). The capture
 * dates narrow the read itself: the index sorts a stage's leads by `createdAt`.
 */
export async function readSegmentPage(
  segment: Segment,
  partition: StagePartition,
  cursor: Record<string, unknown> | undefined,
  limit: number,
): Promise<SegmentPage> {
  const { partitionKey, sortKey, indexName } = tableKeys.byStage;
  const values: Record<string, unknown> = { ':stage': keys.stageShard(partition.stage, partition.shard) };
  let condition = `${partitionKey} = :stage`;
  if (segment.capturedAfter || segment.capturedBefore) {
    condition += ` AND ${sortKey} BETWEEN :from AND :to`;
    values[':from'] = segment.capturedAfter ? new Date(segment.capturedAfter).toISOString() : '';
    values[':to'] = segment.capturedBefore ? new Date(segment.capturedBefore).toISOString() : '\uffff';
  }
  const page = await documents.send(
    new QueryCommand({
      TableName: tableEnv.TABLE_NAME,
      IndexName: indexName,
      KeyConditionExpression: condition,
      ExpressionAttributeValues: values,
      ExclusiveStartKey: cursor,
      Limit: limit,
    }),
  );
  const leads: Lead[] = [];
  for (const item of page.Items ?? []) {
    const parsed = leadSchema.safeParse(withoutKeys(item));
    if (parsed.success && segmentMatches(parsed.data, segment)) leads.push(parsed.data);
  }
  return { leads, cursor: page.LastEvaluatedKey };
}

/** Partitions a preview reads at once. */
const PREVIEW_PARALLEL_READS = 8;

/** How many leads the segment holds now and the first few of them (a preview; nothing is sent). */
export async function previewSegment(segment: Segment, sampleSize: number): Promise<{ count: number; sample: Lead[] }> {
  let count = 0;
  const sample: Lead[] = [];
  const partitions = launchPartitions(segment);
  for (let first = 0; first < partitions.length; first += PREVIEW_PARALLEL_READS) {
    await Promise.all(
      partitions.slice(first, first + PREVIEW_PARALLEL_READS).map(async (partition) => {
        let cursor: Record<string, unknown> | undefined;
        do {
          const page = await readSegmentPage(segment, partition, cursor, 500);
          count += page.leads.length;
          for (const lead of page.leads) if (sample.length < sampleSize) sample.push(lead);
          cursor = page.cursor;
        } while (cursor);
      }),
    );
  }
  return { count, sample };
}
