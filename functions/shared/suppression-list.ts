import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { suppressionHash } from '../../core/erasure';
import { keys } from '../../core/keys';
import { secretValue } from './secrets';
import { documents, tableEnv } from './table';

/** The variable naming the SuppressionSalt secret (set with its read grant by the Privacy construct). */
export const SUPPRESSION_SALT_ENV = 'SUPPRESSION_SALT_SECRET_ARN';

/**
 * The suppression list: addresses that must never be mailed again (an erased person's), kept only
 * as a keyed hash. Checked before every send, whoever the recipient.
 */
async function addressKey(email: string) {
  return keys.suppression(suppressionHash(email, await secretValue(SUPPRESSION_SALT_ENV)));
}

export async function isSuppressed(email: string): Promise<boolean> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: await addressKey(email), ConsistentRead: true }),
  );
  return Item !== undefined;
}

/**
 * Why an address is on the list: the person was erased, SES reported a permanent bounce or a
 * complaint, or the person unsubscribed.
 */
export type SuppressionReason = 'erased' | 'hard_bounce' | 'complaint' | 'unsubscribed';

/** Puts an address on the list (again: the first time and reason are kept). */
export async function suppress(email: string, reason: SuppressionReason, now: Date): Promise<void> {
  try {
    await documents.send(
      new PutCommand({
        TableName: tableEnv.TABLE_NAME,
        Item: { ...(await addressKey(email)), reason, at: now.toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
}

/**
 * Takes an unsubscribe off the list when the person has given consent again, and only then: one
 * transaction that deletes the entry if its reason is `unsubscribed` (erasures, bounces and
 * complaints stay for good) and checks that the lead consents now with no unsubscribe since. An
 * unsubscribe stored after the new consent makes it change nothing, whatever the order in which
 * they are processed. Returns whether an entry was lifted.
 */
export async function liftUnsubscribe(email: string, leadId: string): Promise<boolean> {
  try {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: tableEnv.TABLE_NAME,
              Key: await addressKey(email),
              ConditionExpression: '#reason = :unsubscribed',
              ExpressionAttributeNames: { '#reason': 'reason' },
              ExpressionAttributeValues: { ':unsubscribed': 'unsubscribed' },
            },
          },
          {
            ConditionCheck: {
              TableName: tableEnv.TABLE_NAME,
              Key: keys.lead(leadId),
              ConditionExpression: 'consent = :true AND attribute_not_exists(unsubscribedAt)',
              ExpressionAttributeValues: { ':true': true },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException) return false;
    throw error;
  }
}
