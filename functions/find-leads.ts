import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { leadsQuerySchema, type LeadsQuery } from '../api/requests';
import { ValidationError, detailsFromIssues } from '../core/errors';
import { keys, tableKeys } from '../core/keys';
import { leadIdFor, leadSchema, type Lead } from '../core/lead';
import { stages } from '../core/stages';
import { normalizeEmail } from '../core/submission';
import { httpHandler } from './shared/http';
import { getLead, withoutKeys } from './shared/leads-repository';
import { secretEnv, secretValue } from './shared/secrets';
import { documents, tableEnv } from './shared/table';

/** Queries one page may run when filters leave pages sparse; the cursor carries on from there. */
const MAX_QUERIES_PER_PAGE = 10;

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
  /** The index partitions to read, in order. */
  partitions: string[];
  sortKeyPrefix?: string;
  filters: Array<{ attribute: string[]; value: string }>;
}

function planFor(query: LeadsQuery): Plan {
  if (query.owner !== undefined) {
    return {
      index: tableKeys.byOwner,
      partitions: [keys.leadByOwner(query.owner, undefined, '', '').gsi3pk],
      sortKeyPrefix: query.grade && `${query.grade}#`,
      filters: query.stage ? [{ attribute: ['stage'], value: query.stage }] : [],
    };
  }
  return {
    index: tableKeys.byStage,
    partitions: (query.stage ? [query.stage] : stages).map((stage) => keys.leadByStage(stage, '', '').gsi1pk),
    filters: query.grade ? [{ attribute: ['score', 'grade'], value: query.grade }] : [],
  };
}

async function listLeads(query: LeadsQuery): Promise<{ leads: Lead[]; nextCursor?: string }> {
  const plan = planFor(query);
  let position = decodeCursor(query.cursor, plan);
  const leads: Lead[] = [];
  for (
    let queries = 0;
    leads.length < query.limit && position.partition < plan.partitions.length && queries < MAX_QUERIES_PER_PAGE;
    queries++
  ) {
    const names: Record<string, string> = { '#pk': plan.index.partitionKey };
    const values: Record<string, unknown> = { ':pk': plan.partitions[position.partition] };
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
        Limit: query.limit - leads.length,
        ScanIndexForward: false,
        ExclusiveStartKey: position.startKey,
      }),
    );
    leads.push(...(page.Items ?? []).map((item) => leadSchema.parse(withoutKeys(item))));
    position = page.LastEvaluatedKey
      ? { partition: position.partition, startKey: page.LastEvaluatedKey as Record<string, string> }
      : { partition: position.partition + 1 };
  }
  const more = position.partition < plan.partitions.length;
  return {
    leads,
    ...(more && { nextCursor: Buffer.from(JSON.stringify({ p: position.partition, k: position.startKey })).toString('base64url') }),
  };
}

const cursorSchema = z.strictObject({
  p: z.number().int().min(0),
  k: z.record(z.string(), z.string()).optional(),
});

/**
 * A cursor is where the previous page stopped: which partition of the plan, and the last key read
 * there. One that does not fit this query's plan (another filter, an edited key) is refused.
 */
function decodeCursor(cursor: string | undefined, plan: Plan): { partition: number; startKey?: Record<string, string> } {
  if (cursor === undefined) return { partition: 0 };
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) {
      const { p, k } = parsed.data;
      const expectedKeys = [tableKeys.partitionKey, tableKeys.sortKey, plan.index.partitionKey, plan.index.sortKey].sort();
      const fits =
        p < plan.partitions.length &&
        (k === undefined ||
          (JSON.stringify(Object.keys(k).sort()) === JSON.stringify(expectedKeys) &&
            k[plan.index.partitionKey] === plan.partitions[p] &&
            (k.pk ?? '').startsWith('LEAD#') &&
            k.sk === 'LEAD'));
      if (fits) return { partition: p, startKey: k };
    }
  } catch {
    // Fall through to the 400.
  }
  throw new ValidationError('the cursor is not valid for this query', [{ path: 'cursor', message: 'is malformed' }]);
}
