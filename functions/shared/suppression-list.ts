import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
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
