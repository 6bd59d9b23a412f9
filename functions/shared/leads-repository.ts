import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { HistoryEntry } from '../../core/history';
import { IDEMPOTENCY_TTL_SECONDS, idempotencyRecordSchema, type IdempotencyRecord } from '../../core/idempotency';
import { keys } from '../../core/keys';
import { leadSchema, type Lead } from '../../core/lead';
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

const leadKeyAttributes = ['pk', 'sk', 'gsi1pk', 'gsi1sk'];

export async function getLead(leadId: string, consistent = false): Promise<Lead | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.lead(leadId), ConsistentRead: consistent }),
  );
  if (!Item) return undefined;
  for (const attribute of leadKeyAttributes) delete Item[attribute];
  return leadSchema.parse(Item);
}

export function leadItem(lead: Lead): Record<string, unknown> {
  return { ...keys.lead(lead.leadId), ...keys.leadByStage(lead.stage, lead.createdAt, lead.leadId), ...lead };
}

export function historyItem(entry: HistoryEntry): Record<string, unknown> {
  return {
    ...keys.history(entry.leadId, entry.at, entry.entryId),
    ...keys.eventDay(entry.leadId, entry.at, entry.entryId),
    ...entry,
  };
}

export interface IdempotentWrite {
  scope: string;
  key: string;
  record: IdempotencyRecord;
  now: Date;
}

/**
 * Writes a lead (created, or updated from the version it was read at), its history entries and
 * the idempotency record in one transaction: all of it is durable, or none of it is.
 */
export async function saveLead(
  lead: Lead,
  entries: HistoryEntry[],
  idempotency?: IdempotentWrite,
): Promise<void> {
  const items: TransactItem[] = [];
  if (idempotency) {
    items.push({
      Put: {
        TableName: tableEnv.TABLE_NAME,
        Item: {
          ...keys.idempotency(idempotency.scope, idempotency.key),
          ...idempotency.record,
          expiresAt: Math.floor(idempotency.now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :nowSeconds',
        ExpressionAttributeValues: { ':nowSeconds': Math.floor(idempotency.now.getTime() / 1000) },
      },
    });
  }
  const created = lead.version === 1;
  items.push({
    Put: {
      TableName: tableEnv.TABLE_NAME,
      Item: leadItem(lead),
      ConditionExpression: created ? 'attribute_not_exists(pk)' : 'version = :previous',
      ExpressionAttributeValues: created ? undefined : { ':previous': lead.version - 1 },
    },
  });
  for (const entry of entries) {
    items.push({ Put: { TableName: tableEnv.TABLE_NAME, Item: historyItem(entry) } });
  }
  try {
    await documents.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = (error.CancellationReasons ?? []).map((reason) => reason.Code);
    if (idempotency && reasons[0] === 'ConditionalCheckFailed') throw new IdempotencyKeyUsedError({ cause: error });
    if (reasons.includes('ConditionalCheckFailed')) throw new LeadChangedError({ cause: error });
    if (reasons.includes('TransactionConflict')) throw new WriteConflictError({ cause: error });
    throw error;
  }
}

export async function getIdempotencyRecord(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.idempotency(scope, key), ConsistentRead: true }),
  );
  return Item ? idempotencyRecordSchema.parse(Item) : undefined;
}
