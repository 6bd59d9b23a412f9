import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { historyEntrySchema, type HistoryEntry } from '../../core/history';
import { IDEMPOTENCY_TTL_SECONDS, idempotencyRecordSchema, type IdempotencyRecord } from '../../core/idempotency';
import { keys } from '../../core/keys';
import { leadSchema, type Lead } from '../../core/lead';
import { countMetric } from './business-metrics';
import { logger } from './observability';
import { documents, tableEnv } from './table';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The lead changed (or appeared) between our read and our write: read again and retry. */
export class LeadChangedError extends Error {
  constructor(options?: ErrorOptions) {
    super('the lead changed concurrently', options);
    this.name = 'LeadChangedError';
  }
}

/** The idempotency key was already used: the stored answer must be replayed. */
export class IdempotencyKeyUsedError extends Error {
  constructor(options?: ErrorOptions) {
    super('the idempotency key was already used', options);
    this.name = 'IdempotencyKeyUsedError';
  }
}

/** Another transaction touched the same items at the same moment: retry after a short pause. */
export class WriteConflictError extends Error {
  constructor(options?: ErrorOptions) {
    super('a concurrent transaction conflicted', options);
    this.name = 'WriteConflictError';
  }
}

/** A lead item without its table keys: the lead itself. */
export function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, gsi3pk: _gsi3pk, gsi3sk: _gsi3sk, ...lead } = item;
  return lead;
}

export async function getLead(leadId: string, consistent = false): Promise<Lead | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.lead(leadId), ConsistentRead: consistent }),
  );
  if (!Item) return undefined;
  return leadSchema.parse(withoutKeys(Item));
}

export function leadItem(lead: Lead): Record<string, unknown> {
  return {
    ...keys.lead(lead.leadId),
    ...keys.leadByStage(lead.stage, lead.createdAt, lead.leadId),
    ...(lead.owner && keys.leadByOwner(lead.owner.email, lead.score?.grade, lead.createdAt, lead.leadId)),
    ...lead,
  };
}

/**
 * A history entry as stored. On the byDay index it is keyed by when it is written (`ingestedAt`),
 * not by its `at`: the metrics aggregator reads the index past a watermark, and an entry written
 * now with an older `at` must still land after it (the aggregator counts it for its own day).
 */
export function historyItem(entry: HistoryEntry, ingestedAt = new Date()): Record<string, unknown> {
  const ingested = ingestedAt.toISOString();
  return {
    ...keys.history(entry.leadId, entry.at, entry.entryId),
    ...keys.eventDay(entry.leadId, ingested, entry.entryId),
    ...entry,
    ingestedAt: ingested,
  };
}

export interface IdempotentWrite {
  /** How long the record is kept; default IDEMPOTENCY_TTL_SECONDS. */
  ttlSeconds?: number;
  scope: string;
  key: string;
  record: IdempotencyRecord;
  now: Date;
}

/** A lead entering `qualified` moved to it without an owner: the write is refused (see lead-changes.ts). */
export class OwnerRequiredError extends Error {
  constructor() {
    super('a lead moved to qualified needs its owner in the same write');
    this.name = 'OwnerRequiredError';
  }
}

/** How many owner assignments the round-robin counter has handed out (0 before the first). */
export async function readOwnerCounter(): Promise<number> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.ownerCounter(), ConsistentRead: true, ProjectionExpression: 'assigned' }),
  );
  return Number(Item?.assigned ?? 0);
}

/** Advances the round-robin counter from the value it was read at (a conditional update, for the lead's transaction). */
export function ownerCounterAdvance(assigned: number): TransactItem {
  const first = assigned === 0;
  return {
    Update: {
      TableName: tableEnv.TABLE_NAME,
      Key: keys.ownerCounter(),
      UpdateExpression: 'SET assigned = :next',
      ConditionExpression: first ? 'attribute_not_exists(assigned)' : 'assigned = :assigned',
      ExpressionAttributeValues: { ':next': assigned + 1, ...(!first && { ':assigned': assigned }) },
    },
  };
}

/**
 * Writes a lead (created, or updated from the version it was read at), its history entries and
 * the idempotency record in one transaction: all of it is durable, or none of it is. A lead alone
 * is one conditional put. `slot` is a conditional write that takes a shared slot along with the
 * lead (the owner counter's advance, see lead-changes.ts): its condition failing means another
 * writer took the slot first, a conflict to retry from a fresh read like any other.
 */
export async function saveLead(lead: Lead, entries: HistoryEntry[], idempotency?: IdempotentWrite, slot?: TransactItem): Promise<void> {
  // Every path into qualified gives the lead its owner in the same write (core/handoff.ts).
  if (
    !lead.owner &&
    lead.stage === 'qualified' &&
    entries.some((entry) => entry.type === 'stage_changed' && entry.data.to === 'qualified')
  ) {
    throw new OwnerRequiredError();
  }
  const items: TransactItem[] = [];
  if (idempotency) {
    const expiresAt = Math.floor(idempotency.now.getTime() / 1000) + (idempotency.ttlSeconds ?? IDEMPOTENCY_TTL_SECONDS);
    items.push({
      Put: {
        TableName: tableEnv.TABLE_NAME,
        Item: { ...keys.idempotency(idempotency.scope, idempotency.key), ...idempotency.record, expiresAt },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :nowSeconds',
        ExpressionAttributeValues: { ':nowSeconds': Math.floor(idempotency.now.getTime() / 1000) },
      },
    });
    // The record is keyed by the client's key: a reference in the lead's partition lets an erasure find it.
    items.push({
      Put: { TableName: tableEnv.TABLE_NAME, Item: { ...keys.idempotencyRef(lead.leadId, idempotency.scope, idempotency.key), expiresAt } },
    });
  }
  const created = lead.version === 1;
  const leadPut = {
    TableName: tableEnv.TABLE_NAME,
    Item: leadItem(lead),
    ConditionExpression: created ? 'attribute_not_exists(pk)' : 'version = :previous',
    ExpressionAttributeValues: created ? undefined : { ':previous': lead.version - 1 },
  };
  const slotIndex = slot ? items.length : -1;
  if (slot) items.push(slot);
  if (items.length === 0 && entries.length === 0) {
    // One item needs no transaction: a conditional put is the cheapest durable write there is.
    try {
      await documents.send(new PutCommand(leadPut));
      return;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LeadChangedError({ cause: error });
      throw error;
    }
  }
  items.push({ Put: leadPut });
  for (const entry of entries) {
    items.push({ Put: { TableName: tableEnv.TABLE_NAME, Item: historyItem(entry) } });
  }
  try {
    await documents.send(new TransactWriteCommand({ TransactItems: items }));
    // Every stage move is stored here, whoever made it (a rep, routing, re-nurture).
    const moves = entries.filter((entry) => entry.type === 'stage_changed').length;
    if (moves > 0) {
      countMetric('StageMoves', moves);
      logger.info('lead moved', { leadId: lead.leadId, stage: lead.stage });
    }
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = (error.CancellationReasons ?? []).map((reason) => reason.Code);
    if (idempotency && reasons[0] === 'ConditionalCheckFailed') throw new IdempotencyKeyUsedError({ cause: error });
    // Another writer took the slot first: read the counter again and retry.
    if (slotIndex >= 0 && reasons[slotIndex] === 'ConditionalCheckFailed') throw new WriteConflictError({ cause: error });
    if (reasons.includes('ConditionalCheckFailed')) throw new LeadChangedError({ cause: error });
    if (reasons.includes('TransactionConflict')) throw new WriteConflictError({ cause: error });
    throw error;
  }
}

/** Leads one transaction may hold with their history entries: DynamoDB takes 100 items a transaction. */
const ITEMS_PER_TRANSACTION = 100;

/**
 * Stores many changed leads (each with its history entries) in as few transactions as fit, each
 * lead on the same version condition as saveLead. A transaction is all or nothing: when one of its
 * leads changed meanwhile (or another transaction held one), none of its leads is written and all
 * of them are answered as not stored, for the caller to store one by one (each on its own condition,
 * as before). For bulk changes that give no lead an owner (a rescore): the others go through saveLead.
 */
export async function saveLeadsTogether(changes: ReadonlyArray<{ lead: Lead; entries: HistoryEntry[] }>): Promise<Lead[]> {
  const batches: Array<Array<{ lead: Lead; entries: HistoryEntry[] }>> = [];
  let items = ITEMS_PER_TRANSACTION;
  for (const change of changes) {
    if (change.lead.version <= 1) throw new Error('saveLeadsTogether stores changes of existing leads');
    const size = 1 + change.entries.length;
    if (items + size > ITEMS_PER_TRANSACTION) {
      batches.push([]);
      items = 0;
    }
    batches.at(-1)?.push(change);
    items += size;
  }
  // The transactions touch different leads: they run at once.
  const unstored = await Promise.all(
    batches.map(async (batch) => {
      try {
        await documents.send(
          new TransactWriteCommand({
            TransactItems: batch.flatMap(({ lead, entries }) => [
              {
                Put: {
                  TableName: tableEnv.TABLE_NAME,
                  Item: leadItem(lead),
                  ConditionExpression: 'version = :previous',
                  ExpressionAttributeValues: { ':previous': lead.version - 1 },
                },
              },
              ...entries.map((entry) => ({ Put: { TableName: tableEnv.TABLE_NAME, Item: historyItem(entry) } })),
            ]),
          }),
        );
        return [];
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        return batch.map(({ lead }) => lead);
      }
    }),
  );
  return unstored.flat();
}

/** The submission was folded into its lead already (a redelivered stream record). */
export class SubmissionAppliedError extends Error {
  constructor(options?: ErrorOptions) {
    super('the submission was applied already', options);
    this.name = 'SubmissionAppliedError';
  }
}

/**
 * Writes a lead changed by a pending public submission and marks the submission applied, in one
 * transaction: a redelivered stream record finds it marked and changes nothing, so each submission
 * counts once. The marker drops what the submission carried and expires after `keepSeconds`.
 */
export async function saveLeadApplying(lead: Lead, submissionId: string, now: Date, keepSeconds: number): Promise<void> {
  const created = lead.version === 1;
  try {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableEnv.TABLE_NAME,
              Item: leadItem(lead),
              ConditionExpression: created ? 'attribute_not_exists(pk)' : 'version = :previous',
              ExpressionAttributeValues: created ? undefined : { ':previous': lead.version - 1 },
            },
          },
          {
            Update: {
              TableName: tableEnv.TABLE_NAME,
              Key: keys.submission(submissionId),
              UpdateExpression: 'SET appliedAt = :now, expiresAt = :expires REMOVE submission, extras',
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(appliedAt)',
              ExpressionAttributeValues: { ':now': now.toISOString(), ':expires': Math.floor(now.getTime() / 1000) + keepSeconds },
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const [leadReason, submissionReason] = (error.CancellationReasons ?? []).map((reason) => reason.Code);
    if (submissionReason === 'ConditionalCheckFailed') throw new SubmissionAppliedError({ cause: error });
    if (leadReason === 'ConditionalCheckFailed') throw new LeadChangedError({ cause: error });
    if ([leadReason, submissionReason].includes('TransactionConflict')) throw new WriteConflictError({ cause: error });
    throw error;
  }
}

export async function getIdempotencyRecord(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.idempotency(scope, key), ConsistentRead: true }),
  );
  return Item ? idempotencyRecordSchema.parse(Item) : undefined;
}

/** Appends entries to a lead's history. A deterministic entry id makes the append idempotent. */
export async function appendHistory(entry: HistoryEntry, options: { onlyOnce?: boolean } = {}): Promise<boolean> {
  try {
    await documents.send(
      new PutCommand({
        TableName: tableEnv.TABLE_NAME,
        Item: historyItem(entry),
        ConditionExpression: options.onlyOnce ? 'attribute_not_exists(pk)' : undefined,
      }),
    );
    return true;
  } catch (error) {
    if (options.onlyOnce && error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

export async function removeHistory(entry: HistoryEntry): Promise<void> {
  await documents.send(new DeleteCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.history(entry.leadId, entry.at, entry.entryId) }));
}

/**
 * A lead's audit trail in order, a page at a time, from `since` (the lead's creation: a lead
 * captured again after an erasure shares its id with the erased one, whose anonymized events
 * stay until the metrics have counted them, and they are not this lead's).
 */
export async function listHistory(
  leadId: string,
  limit: number,
  cursor?: Record<string, unknown>,
  since = '',
): Promise<{ entries: HistoryEntry[]; cursor?: Record<string, unknown> }> {
  const result = await documents.send(
    new QueryCommand({
      TableName: tableEnv.TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': keys.lead(leadId).pk,
        ':from': `${keys.historyPrefix}${since}`,
        ':to': `${keys.historyPrefix}\uffff`,
      },
      Limit: limit,
      ExclusiveStartKey: cursor,
      ConsistentRead: true,
    }),
  );
  return {
    entries: (result.Items ?? []).map((item) => historyEntrySchema.parse(item)),
    cursor: result.LastEvaluatedKey,
  };
}
