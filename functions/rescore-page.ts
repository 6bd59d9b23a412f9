import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { STAGE_SHARDS, keys, tableKeys } from '../core/keys';
import { leadSchema, type Lead } from '../core/lead';
import type { ScoringRules } from '../core/scoring';
import type { HistoryEntry } from '../core/history';
import { needsOwner } from '../core/handoff';
import { stages } from '../core/stages';
import { rescoreLead } from '../core/transitions';
import { changeLead, saveChangedLead } from './shared/lead-changes';
import { LeadChangedError, WriteConflictError, saveLeadsTogether, withoutKeys } from './shared/leads-repository';
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
    if (!stagePartitions[cursor.partition]) {
      await recordProgress(input.jobId, { processed: 0, rescored: 0, finished: 'succeeded', at: new Date() });
      return { jobId: input.jobId, done: true };
    }
    // A page of up to PAGE_SIZE leads from as many partitions as it takes: a stage's shards hold few
    // leads each on a small table, and a page costs a progress write and a transaction whatever its size.
    const leads: Lead[] = [];
    let currentStage: string | undefined;
    for (
      let partition = stagePartitions[cursor.partition];
      partition && leads.length < PAGE_SIZE;
      partition = stagePartitions[cursor.partition]
    ) {
      const page = await documents.send(
        new QueryCommand({
          TableName: tableEnv.TABLE_NAME,
          IndexName: tableKeys.byStage.indexName,
          KeyConditionExpression: `${tableKeys.byStage.partitionKey} = :stage`,
          ExpressionAttributeValues: { ':stage': keys.stageShard(partition.stage, partition.shard) },
          Limit: PAGE_SIZE - leads.length,
          ExclusiveStartKey: cursor.startKey,
        }),
      );
      leads.push(...(page.Items ?? []).map((item) => leadSchema.parse(withoutKeys(item))));
      currentStage = partition.stage;
      cursor = page.LastEvaluatedKey
        ? { partition: cursor.partition, startKey: page.LastEvaluatedKey }
        : { partition: cursor.partition + 1 };
    }
    const rescored = await rescorePage(leads, rules);
    if (rescored > 0) countMetric('LeadsRescored', rescored);
    await recordProgress(input.jobId, { processed: leads.length, rescored, currentStage, at: new Date() });
  }
  return { jobId: input.jobId, done: false, cursor };
});

/**
 * Rescores a page of leads: the changed ones are stored together, a transaction of up to 50 leads
 * with their history entries (one round trip where each lead took one); a lead that changed
 * meanwhile fails its transaction, whose leads are then rescored one by one. Answers how many
 * leads got a new score.
 */
async function rescorePage(leads: Lead[], rules: ScoringRules): Promise<number> {
  const changes = leads.flatMap((lead) => {
    const change = rescored(lead, rules);
    return change ? [{ current: lead, change }] : [];
  });
  // A lead left in qualified without an owner takes the round-robin counter's next slot in its own
  // write: one at a time, as a single counter serializes them anyway (at once they only conflict).
  const owning = changes.filter(({ change }) => needsOwner(change.lead));
  const together = changes.filter(({ change }) => !needsOwner(change.lead));
  const unstored = new Set((await saveLeadsTogether(together.map(({ change }) => change))).map((lead) => lead.leadId));
  let count = together.length - unstored.size;
  for (const { current } of owning) if (await rescoreOne(current, rules)) count += 1;
  const retried = together.filter(({ current }) => unstored.has(current.leadId)).map(({ current }) => current);
  for (let i = 0; i < retried.length; i += CONCURRENCY) {
    const results = await Promise.all(retried.slice(i, i + CONCURRENCY).map((lead) => rescoreOne(lead, rules)));
    count += results.filter(Boolean).length;
  }
  return count;
}

function rescored(lead: Lead, rules: ScoringRules): { lead: Lead; entries: HistoryEntry[] } | undefined {
  const { lead: scored, scoreChange } = rescoreLead(lead, undefined, rules, 'rescore', new Date(), 'rules published');
  return scoreChange && { lead: scored, entries: [scoreChange] };
}

/**
 * Rescores one lead from its page item; a lead changed since the page was read (routed, moved)
 * is read again and rescored, so none keeps its old score.
 */
async function rescoreOne(lead: Lead, rules: ScoringRules): Promise<boolean> {
  const rescore = (current: Lead) => rescored(current, rules);
  const first = rescore(lead);
  if (!first) return false;
  try {
    await saveChangedLead(first.lead, first.entries);
    return true;
  } catch (error) {
    // Changed meanwhile, or (a lead given its owner now) another write took the owner slot first:
    // read it again and retry, with backoff, as every read-modify-write does.
    if (!(error instanceof LeadChangedError || error instanceof WriteConflictError)) throw error;
    return (await changeLead(lead.leadId, rescore)).change !== undefined;
  }
}
