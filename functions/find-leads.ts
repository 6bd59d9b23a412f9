import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { leadsQuerySchema, type LeadsQuery } from '../api/requests';
import { ValidationError, detailsFromIssues } from '../core/errors';
import { STAGE_SHARDS, keys, tableKeys } from '../core/keys';
import { leadIdFor, leadSchema, type Lead } from '../core/lead';
import { mergeShardsDescending, type ShardPosition, type ShardRead } from '../core/sharded-page';
import { stages } from '../core/stages';
import { normalizeEmail } from '../core/submission';
import { httpHandler } from './shared/http';
import { getLead, withoutKeys } from './shared/leads-repository';
import { secretEnv, secretValue } from './shared/secrets';
import { documents, tableEnv } from './shared/table';

/**
 * Queries one page may run: every shard of a stage is read at least once, and a filter that leaves
 * pages sparse may need more; the cursor carries on from there.
 */
const MAX_QUERIES_PER_PAGE = 4 * STAGE_SHARDS;

/**
 * GET /v1/leads (leads:read). `?email=` finds the lead for an address (its keyed id, one read).
 * Otherwise a page of leads from an index, never a Scan: a rep's leads from byOwner (by grade
 * through its sort key), a stage's from byStage, and every lead stage by stage; the other filters
 * narrow what the index gives.
 */
export const handler = httpHandler(
  async (request) => {
    const parsed = leadsQuerySchema.safeParse(request.query);
    if (!parsed.success) throw new ValidationError('the query is invalid', detailsFromIssues(parsed.error.issues));
    const query = parsed.data;
    if (query.email !== undefined) {
      const lead = await getLead(leadIdFor(normalizeEmail(query.email), await secretValue(secretEnv.leadIdKey)));
      return { status: 200, json: { leads: lead ? [lead] : [] } };
    }
    return { status: 200, json: await listLeads(query) };
  },
  // The key and its leads:read scope are checked at the gateway (api/routes.ts declares the scope).
  {},
);

interface Plan {
  index: { indexName: string; partitionKey: string; sortKey: string };
  /** What the listing goes through, in order: each a logical partition, as the index partitions (shards) it is written in. */
  groups: string[][];
  sortKeyPrefix?: string;
  filters: Array<{ attribute: string[]; value: string }>;
}

function planFor(query: LeadsQuery): Plan {
  if (query.owner !== undefined) {
    // A rep's partition is not sharded: it takes only that rep's share of the qualified leads.
    return {
      index: tableKeys.byOwner,
      groups: [[keys.leadByOwner(query.owner, undefined, '', '').gsi3pk]],
      sortKeyPrefix: query.grade && `${query.grade}#`,
      filters: query.stage ? [{ attribute: ['stage'], value: query.stage }] : [],
    };
  }
  return {
    index: tableKeys.byStage,
    groups: (query.stage ? [query.stage] : stages).map((stage) =>
      Array.from({ length: STAGE_SHARDS }, (_, shard) => keys.stageShard(stage, shard)),
    ),
    filters: query.grade ? [{ attribute: ['score', 'grade'], value: query.grade }] : [],
  };
}

/** Where a page stopped: which group of the plan, and where in each of its shards. */
interface Position {
  group: number;
  shards: ShardPosition[];
}

async function listLeads(query: LeadsQuery): Promise<{ leads: Lead[]; nextCursor?: string }> {
  const plan = planFor(query);
  let position = decodeCursor(query.cursor, plan);
  const leads: Lead[] = [];
  let queries = 0;
  while (leads.length < query.limit && position.group < plan.groups.length && queries < MAX_QUERIES_PER_PAGE) {
    const partitions = plan.groups[position.group] ?? [];
    const page = await mergeShardsDescending({
      positions: position.shards,
      limit: query.limit - leads.length,
      maxReads: MAX_QUERIES_PER_PAGE - queries,
      read: (shard, after, limit) => readShard(plan, partitions[shard] ?? '', after, limit),
    });
    queries += page.reads;
    leads.push(...page.values);
    position = page.positions.every((shard) => shard === false)
      ? { group: position.group + 1, shards: startOf(plan, position.group + 1) }
      : { group: position.group, shards: page.positions };
    if (page.reads === 0 && page.values.length === 0) break;
  }
  const more = position.group < plan.groups.length;
  return {
    leads,
    ...(more && { nextCursor: Buffer.from(JSON.stringify({ p: position.group, s: position.shards })).toString('base64url') }),
  };
}

function startOf(plan: Plan, group: number): ShardPosition[] {
  return (plan.groups[group] ?? []).map(() => null);
}

/** One query of one index partition, newest first, after a sort key (the item's own key is rebuilt from it). */
async function readShard(plan: Plan, partition: string, after: string | null, limit: number): Promise<ShardRead<Lead>> {
  const names: Record<string, string> = { '#pk': plan.index.partitionKey };
  const values: Record<string, unknown> = { ':pk': partition };
  let condition = '#pk = :pk';
  if (plan.sortKeyPrefix) {
    names['#sk'] = plan.index.sortKey;
    values[':sk'] = plan.sortKeyPrefix;
    condition += ' AND begins_with(#sk, :sk)';
  }
  const filters = plan.filters.map(({ attribute, value }, i) => {
    attribute.forEach((part, j) => (names[`#f${i}_${j}`] = part));
    values[`:f${i}`] = value;
    return `${attribute.map((_, j) => `#f${i}_${j}`).join('.')} = :f${i}`;
  });
  const page = await documents.send(
    new QueryCommand({
      TableName: tableEnv.TABLE_NAME,
      IndexName: plan.index.indexName,
      KeyConditionExpression: condition,
      FilterExpression: filters.length > 0 ? filters.join(' AND ') : undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      Limit: limit,
      ScanIndexForward: false,
      ExclusiveStartKey: after === null ? undefined : startKey(plan, partition, after),
    }),
  );
  const sortKeyOf = (item: Record<string, unknown>) => String(item[plan.index.sortKey]);
  return {
    items: (page.Items ?? []).map((item) => ({ sortKey: sortKeyOf(item), value: leadSchema.parse(withoutKeys(item)) })),
    lastEvaluated: page.LastEvaluatedKey && sortKeyOf(page.LastEvaluatedKey),
  };
}

/** A lead's full key on the index, from its index sort key, which ends with the lead id (`…#<leadId>`). */
function startKey(plan: Plan, partition: string, sortKey: string): Record<string, string> {
  const leadId = sortKey.slice(sortKey.lastIndexOf('#') + 1);
  return { ...keys.lead(leadId), [plan.index.partitionKey]: partition, [plan.index.sortKey]: sortKey };
}

const cursorSchema = z.strictObject({
  p: z.number().int().min(0),
  s: z.array(
    z.union([
      z
        .string()
        .regex(/#[^#]+$/)
        .max(300),
      z.null(),
      z.literal(false),
    ]),
  ),
});

/**
 * A cursor is where the previous page stopped: which group of the plan, and where in each of its
 * shards. One that does not fit this query's plan (another filter, an edited position) is refused.
 */
function decodeCursor(cursor: string | undefined, plan: Plan): Position {
  if (cursor === undefined) return { group: 0, shards: startOf(plan, 0) };
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) {
      const { p, s } = parsed.data;
      const fits =
        p < plan.groups.length &&
        s.length === plan.groups[p]?.length &&
        s.every((position) => typeof position !== 'string' || position.startsWith(plan.sortKeyPrefix ?? ''));
      if (fits) return { group: p, shards: s };
    }
  } catch {
    // Fall through to the 400.
  }
  throw new ValidationError('the cursor is not valid for this query', [{ path: 'cursor', message: 'is malformed' }]);
}
