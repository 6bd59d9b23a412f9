import type { Context } from 'aws-lambda';
import { STAGE_SHARDS } from '../core/keys';
import { stages, type Stage } from '../core/stages';
import { readSegmentPage } from './shared/campaign-segment';
import { enrollAndStart } from './shared/campaign-sequences';
import { getCampaign } from './shared/campaigns-repository';
import { correlate, observed } from './shared/observability';

/** One item of the launch's Distributed Map: a byStage partition of the segment (a stage's shard), and where in it this page starts. */
export interface LaunchPageInput {
  campaignId: string;
  launchId: string;
  stage: Stage;
  shard: number;
  cursor?: Record<string, unknown>;
}

export interface LaunchPageOutput extends LaunchPageInput {
  done: boolean;
  enrolled: number;
}

/** Leads read per index page; enrollments of a page run this many at a time. */
const PAGE_SIZE = 200;
const PARALLEL_ENROLLMENTS = 16;
/** Stop reading new pages when less than this is left of the invocation: the machine loops with the cursor. */
const TIME_RESERVE_MS = 60_000;

/**
 * A launch's page step: reads the segment's leads in one partition of the byStage index,
 * page by page while the invocation has time, enrolls each (once: the enrollment's condition)
 * and starts its sequence. Answers the cursor to go on from (`done: false`) or the partition's end.
 */
export const handler = observed(async (input: LaunchPageInput, context: Context): Promise<LaunchPageOutput> => {
  correlate({ executionName: input.launchId });
  if (!(stages as readonly string[]).includes(input.stage)) throw new Error(`not a stage: ${input.stage}`);
  if (!Number.isInteger(input.shard) || input.shard < 0 || input.shard >= STAGE_SHARDS) throw new Error(`not a shard: ${input.shard}`);
  const campaign = await getCampaign(input.campaignId);
  // A campaign cancelled (or paused) during its launch enrolls nobody more; resume launches nothing by itself.
  if (!campaign || campaign.status !== 'active') return { ...input, cursor: undefined, done: true, enrolled: 0 };
  let cursor = input.cursor;
  let enrolled = 0;
  const now = new Date();
  do {
    const page = await readSegmentPage(campaign.segment, input, cursor, PAGE_SIZE);
    for (let index = 0; index < page.leads.length; index += PARALLEL_ENROLLMENTS) {
      const batch = page.leads.slice(index, index + PARALLEL_ENROLLMENTS);
      const started = await Promise.all(batch.map((lead) => enrollAndStart(campaign, lead.leadId, now)));
      enrolled += started.filter(Boolean).length;
    }
    cursor = page.cursor;
  } while (cursor && context.getRemainingTimeInMillis() > TIME_RESERVE_MS);
  return { ...input, cursor, done: cursor === undefined, enrolled };
});
