import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createHmac } from 'node:crypto';
import { TooManyRequestsError } from '../../core/errors';
import { keys, type ItemKey } from '../../core/keys';
import { rateWindow, type RateLimit } from '../../core/rate-limit';
import { documents, tableEnv } from './table';

/**
 * Counts one submission against the form's and the client's limits for the current minute, or
 * refuses it with 429 and the seconds left in the window. The counters live in the table, so
 * they hold across function restarts and every concurrent environment; each is one conditional
 * UpdateItem (never a transaction: concurrent transactions on one hot counter would cancel each
 * other), the two in parallel. A refused request does not raise a counter that is at its limit.
 */
export async function countSubmission(
  formId: string,
  client: { address: string; hashKey: string },
  limits: RateLimit,
  now = new Date(),
): Promise<void> {
  const window = rateWindow(now);
  const clientHash = createHmac('sha256', client.hashKey).update(client.address).digest('base64url').slice(0, 22);
  const [formAllowed, clientAllowed] = await Promise.all([
    increment(keys.formRate(formId, window.start), limits.perMinute, window.expiresAt),
    increment(keys.clientRate(formId, window.start, clientHash), limits.perClientPerMinute, window.expiresAt),
  ]);
  if (!clientAllowed) throw new TooManyRequestsError('too many submissions from this client; retry later', window.retryAfterSeconds);
  if (!formAllowed) throw new TooManyRequestsError('this form takes no more submissions right now; retry later', window.retryAfterSeconds);
}

async function increment(key: ItemKey, limit: number, expiresAt: number): Promise<boolean> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableEnv.TABLE_NAME,
        Key: key,
        UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':expiresAt': expiresAt },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
