import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { withEngagement } from '../core/capture';
import { historyEntry } from '../core/history';
import { keys, tableKeys } from '../core/keys';
import { leadSchema } from '../core/lead';
import { stages } from '../core/stages';
import { LeadChangedError, saveLead } from './shared/leads-repository';
import { recordProgress } from './shared/jobs-repository';
import { getActiveRules } from './shared/rules-repository';
import { documents, tableEnv } from './shared/table';

const PAGE_SIZE = 100;
const CONCURRENCY = 16;
/** Stop taking pages when less than this is left, so the invocation never hits its timeout. */
const SAFETY_MS = 15_000;

interface Cursor {
  stageIndex: number;
  startKey?: Record<string, unknown>;
}

interface PageInput {
  jobId: string;
  cursor?: Cursor;
}

/**
 * Rescore step: works through the leads stage partition by stage partition (the byStage index,
 * queried, never scanned) until its time budget is spent, then hands the cursor back to the
 * state machine, which calls it again until `done`.
 */
export async function handler(input: PageInput, context: Context): Promise<{ jobId: string; done: boolean; cursor?: Cursor }> {
  const rules = await getActiveRules({ fresh: true });
  let cursor: Cursor = input.cursor ?? { stageIndex: 0 };
  while (context.getRemainingTimeInMillis() > SAFETY_MS) {
    const stage = stages[cursor.stageIndex];
    if (!stage) {
      await recordProgress(input.jobId, { processed: 0, rescored: 0, finished: 'succeeded', at: new Date() });
      return { jobId: input.jobId, done: true };
    }
    const page = await documents.send(
      new QueryCommand({
        TableName: tableEnv.TABLE_NAME,
        IndexName: tableKeys.byStage.indexName,
        KeyConditionExpression: `${tableKeys.byStage.partitionKey} = :stage`,
        ExpressionAttributeValues: { ':stage': keys.leadByStage(stage, '', '').gsi1pk },
        Limit: PAGE_SIZE,
        ExclusiveStartKey: cursor.startKey,
      }),
    );
    const leads = (page.Items ?? []).map((item) => {
      const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...lead } = item;
      return leadSchema.parse(lead);
    });
    let rescored = 0;
    for (let i = 0; i < leads.length; i += CONCURRENCY) {
      const results = await Promise.all(leads.slice(i, i + CONCURRENCY).map((lead) => rescoreOne(lead, rules)));
      rescored += results.filter(Boolean).length;
    }
    cursor = page.LastEvaluatedKey ? { stageIndex: cursor.stageIndex, startKey: page.LastEvaluatedKey } : { stageIndex: cursor.stageIndex + 1 };
    await recordProgress(input.jobId, { processed: leads.length, rescored, currentStage: stage, at: new Date() });
  }
  return { jobId: input.jobId, done: false, cursor };
}

/** Rescores one lead; a lead changed meanwhile was already scored by that change with current rules. */
async function rescoreOne(lead: ReturnType<typeof leadSchema.parse>, rules: Awaited<ReturnType<typeof getActiveRules>>): Promise<boolean> {
  const now = new Date();
  const scored = { ...withEngagement(lead, undefined, rules, now), version: lead.version + 1, updatedAt: now.toISOString() };
  const before = lead.score;
  const after = scored.score!;
  const changed = !before || before.total !== after.total || before.grade !== after.grade || before.rulesVersion !== after.rulesVersion;
  if (!changed) return false;
  const entry = historyEntry(lead.leadId, 'score_changed', 'rescore', now, {
    from: before && { total: before.total, grade: before.grade, rulesVersion: before.rulesVersion },
    to: { total: after.total, grade: after.grade },
    rulesVersion: after.rulesVersion,
    cause: 'rules published',
  });
  try {
    await saveLead(scored, [entry]);
    return true;
  } catch (error) {
    if (error instanceof LeadChangedError) return false;
    throw error;
  }
}
