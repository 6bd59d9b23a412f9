import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { emailClaimSchema, type EmailClaim } from '../../core/email-claim';
import type { HistoryEntry } from '../../core/history';
import { keys } from '../../core/keys';
import { historyItem } from './leads-repository';
import { documents, tableEnv } from './table';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The confirm is retried this many times in-process: a confirm given up means a second send on the step's retry. */
export const CONFIRM_ATTEMPTS = 4;

/**
 * Claims an email, or takes over a claim an earlier attempt left `claimed`. Returns the attempt's
 * number (1 for the first), or undefined when the email is settled already (sent or suppressed).
 */
export async function claimEmail(leadId: string, onceHash: string, now: Date): Promise<number | undefined> {
  try {
    const { Attributes } = await documents.send(
      new UpdateCommand({
        TableName: tableEnv.TABLE_NAME,
        Key: keys.emailClaim(leadId, onceHash),
        UpdateExpression: 'SET #state = :claimed, claimedAt = :now ADD attempts :one',
        ConditionExpression: 'attribute_not_exists(pk) OR #state = :claimed',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':claimed': 'claimed', ':now': now.toISOString(), ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.attempts ?? 1);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

export type Settlement = { state: 'sent'; messageId: string; sentAt: string } | { state: 'suppressed' };

/**
 * How a confirm ended: this call settled the claim (`settled`), or it found the claim no longer
 * `claimed` (`found`: settled by a concurrent attempt, or undefined when an erasure deleted it).
 */
export type SettleResult = { settled: true } | { settled: false; found: EmailClaim | undefined };

/**
 * Settles a claimed email and writes its history entry in one transaction (the claim must still be
 * `claimed`: what an erasure deleted is not brought back). Throttling, conflicts and timeouts are
 * retried here with backoff; a try that timed out may have landed, so a later try that finds the
 * claim settled exactly as asked counts as settled.
 */
export async function settleEmailClaim(
  leadId: string,
  onceHash: string,
  settlement: Settlement,
  entry: HistoryEntry,
  /** More writes that belong to this settlement (a campaign's counter): they land with it or not at all. */
  alsoWrite: TransactItem[] = [],
): Promise<SettleResult> {
  const key = keys.emailClaim(leadId, onceHash);
  const sent = settlement.state === 'sent';
  const command = new TransactWriteCommand({
    TransactItems: [
      {
        Update: {
          TableName: tableEnv.TABLE_NAME,
          Key: key,
          UpdateExpression: sent ? 'SET #state = :settled, messageId = :messageId, sentAt = :sentAt' : 'SET #state = :settled',
          ConditionExpression: '#state = :claimed',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':settled': settlement.state,
            ':claimed': 'claimed',
            ...(sent && { ':messageId': settlement.messageId, ':sentAt': settlement.sentAt }),
          },
        },
      },
      { Put: { TableName: tableEnv.TABLE_NAME, Item: historyItem(entry) } },
      ...alsoWrite,
    ],
  });
  for (let attempt = 1; ; attempt++) {
    try {
      await documents.send(command);
      return { settled: true };
    } catch (error) {
      if (claimNotClaimed(error)) {
        const found = await readClaim(leadId, onceHash);
        const ours = found?.state === settlement.state && (!sent || found.messageId === settlement.messageId);
        return ours ? { settled: true } : { settled: false, found };
      }
      if (attempt >= CONFIRM_ATTEMPTS) throw error;
      await backOffBeforeConfirm(attempt);
    }
  }
}

function claimNotClaimed(error: unknown): boolean {
  return error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed';
}

/** Full jitter, doubling from 50 ms: at most about 0.75 s over the four tries, well inside the step's timeout. */
async function backOffBeforeConfirm(attempt: number): Promise<void> {
  await sleep(Math.random() * 50 * 2 ** (attempt - 1));
}

export async function readClaim(leadId: string, onceHash: string): Promise<EmailClaim | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.emailClaim(leadId, onceHash), ConsistentRead: true }),
  );
  return Item ? emailClaimSchema.parse(Item) : undefined;
}
