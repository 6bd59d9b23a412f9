import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { STAGE_SHARDS, keys, tableKeys } from '../core/keys';
import { leadSchema, type Lead } from '../core/lead';
import type { ScoringRules } from '../core/scoring';
import { stages } from '../core/stages';
import { rescoreLead } from '../core/transitions';
import { changeLead, saveChangedLead } from './shared/lead-changes';
import { LeadChangedError, withoutKeys } from './shared/leads-repository';
import { recordProgress } from './shared/jobs-repository';
import { getActiveRules } from './shared/rules-repository';
import { documents, tableEnv } from './shared/table';
import { countMetric } from './shared/business-metrics';
import { correlate, observed } from './shared/observability';

const PAGE_SIZE = 100;
const CONCURRENCY = 16;
/** Stop taking pages when less than this is left, so the invocation never hits its timeout. */
const SAFETY_MS = 15_000;

interface Cursor {
  /** Which of `stagePartitions` the job is in. */
  partition: number;
  startKey?: Record<string, unknown>;
}

/** Every partition of the byStage index, stage by stage, each stage's shards in turn. */
const stagePartitions = stages.flatMap((stage) => Array.from({ length: STAGE_SHARDS }, (_, shard) => ({ stage, shard })));

interface PageInput {
  jobId: string;
  cursor?: Cursor;
  /** Set by the state machine's Catch: the job failed and is closed as such. */
  failure?: { Error?: string };
}

/**
 * Rescore step: works through the leads partition by partition of the byStage index (each stage's shards,
 * queried, never scanned) until its time budget is spent, then hands the cursor back to the
 * state machine, which calls it again until `done`.
 */
export const handler = observed(async (input: PageInput, context: Context): Promise<{ jobId: string; done: boolean; cursor?: Cursor }> => {
  // The job's execution is named after it.
  correlate({ executionName: input.jobId });
  if (input.failure) {
    await recordProgress(input.jobId, { processed: 0, rescored: 0, finished: 'failed', at: new Date() });
    return { jobId: input.jobId, done: true };
  }
  const rules = await getActiveRules({ fresh: true });
  let cursor: Cursor = input.cursor ?? { partition: 0 };
  while (context.getRemainingTimeInMillis() > SAFETY_MS) {
    const partition = stagePartitions[cursor.partition];
    if (!partition) {
      await recordProgress(input.jobId, { processed: 0, rescored: 0, finished: 'succeeded', at: new Date() });
      return { jobId: input.jobId, done: true };
    }
    const page = await documents.send(
      new QueryCommand({
        TableName: tableEnv.TABLE_NAME,
        IndexName: tableKeys.byStage.indexName,
        KeyConditionExpression: `${tableKeys.byStage.partitionKey} = :stage`,
        ExpressionAttributeValues: { ':stage': keys.stageShard(partition.stage, partition.shard) },
        Limit: PAGE_SIZE,
        ExclusiveStartKey: cursor.startKey,
      }),
    );
    const leads = (page.Items ?? []).map((item) => leadSchema.parse(withoutKeys(item)));
    let rescored = 0;
    for (let i = 0; i < leads.length; i += CONCURRENCY) {
      const results = await Promise.all(leads.slice(i, i + CONCURRENCY).map((lead) => rescoreOne(lead, rules)));
      rescored += results.filter(Boolean).length;
    }
    if (rescored > 0) countMetric('LeadsRescored', rescored);
    cursor = page.LastEvaluatedKey ? { partition: cursor.partition, startKey: page.LastEvaluatedKey } : { partition: cursor.partition + 1 };
    await recordProgress(input.jobId, { processed: leads.length, rescored, currentStage: partition.stage, at: new Date() });
  }
  return { jobId: input.jobId, done: false, cursor };
});

/**
 * Rescores one lead from its page item; a lead changed since the page was read (routed, moved)
 * is read again and rescored, so none keeps its old score.
 */
async function rescoreOne(lead: Lead, rules: ScoringRules): Promise<boolean> {
  const rescore = (current: Lead) => {
    const { lead: scored, scoreChange } = rescoreLead(current, undefined, rules, 'rescore', new Date(), 'rules published');
    return scoreChange && { lead: scored, entries: [scoreChange] };
  };
  const first = rescore(lead);
  if (!first) return false;
  try {
    await saveChangedLead(first.lead, first.entries);
    return true;
  } catch (error) {
    if (!(error instanceof LeadChangedError)) throw error;
    return (await changeLead(lead.leadId, rescore)).change !== undefined;
  }
}
