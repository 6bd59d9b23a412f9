import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PutCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord, ErasurePlan, StoredItem } from '../../core/erasure';
import { keys } from '../../core/keys';
import { leadSchema, type Lead } from '../../core/lead';
import { LeadChangedError, withoutKeys } from './leads-repository';
import { documents, queryAll, tableEnv } from './table';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A transaction holds at most 100 actions. */
const MAX_TRANSACTION_ITEMS = 100;

/** Everything stored in a lead's partition (the lead, its history, claims, waits, references), every page. */
export async function readLeadPartition(leadId: string): Promise<{ lead?: Lead; items: StoredItem[] }> {
  const items = (await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.lead(leadId).pk },
    ConsistentRead: true,
  })) as StoredItem[];
  const leadItem = items.find((item) => item.sk === keys.lead(leadId).sk);
  return { lead: leadItem ? leadSchema.parse(withoutKeys(leadItem)) : undefined, items };
}

/**
 * Writes an erasure plan (everything but the lead item), in transactions of up to 100 actions:
 * each is all or nothing, and the plan is safe to apply again, so an erasure that stops half-way
 * is finished by the next request (the lead item, deleted last, is still there to find).
 */
export async function applyErasure(plan: ErasurePlan): Promise<void> {
  const actions: TransactItem[] = [
    ...plan.deletes.map((Key) => ({ Delete: { TableName: tableEnv.TABLE_NAME, Key } })),
    ...plan.puts.map((Item) => ({ Put: { TableName: tableEnv.TABLE_NAME, Item } })),
  ];
  for (let start = 0; start < actions.length; start += MAX_TRANSACTION_ITEMS) {
    await documents.send(new TransactWriteCommand({ TransactItems: actions.slice(start, start + MAX_TRANSACTION_ITEMS) }));
  }
}

/**
 * The erasure's last step: the lead item goes, if it is still the version planned from, together
 * with the audit record. A lead changed meanwhile (a new submission) is a LeadChangedError: plan again.
 */
export async function deleteLeadWithAudit(lead: Lead, audit: AuditRecord): Promise<void> {
  try {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: tableEnv.TABLE_NAME,
              Key: keys.lead(lead.leadId),
              ConditionExpression: 'version = :version',
              ExpressionAttributeValues: { ':version': lead.version },
            },
          },
          { Put: { TableName: tableEnv.TABLE_NAME, Item: auditItem(audit) } },
        ],
      }),
    );
  } catch (error) {
    const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((reason) => reason.Code) : [];
    if (reasons.includes('ConditionalCheckFailed') || reasons.includes('TransactionConflict')) throw new LeadChangedError({ cause: error });
    throw error;
  }
}

export async function putAudit(audit: AuditRecord): Promise<void> {
  await documents.send(new PutCommand({ TableName: tableEnv.TABLE_NAME, Item: auditItem(audit) }));
}

function auditItem(audit: AuditRecord): Record<string, unknown> {
  return { ...keys.audit(audit.at, audit.auditId), ...audit };
}
