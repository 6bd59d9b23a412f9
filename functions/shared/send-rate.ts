import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { keys } from '../../core/keys';
import { documents, tableEnv } from './table';

export class SendRateExceededError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SendRateExceededError';
  }
}

/** Windows a sender waits through in-process before handing the wait to the state machine's retry. */
const WINDOWS_TRIED = 5;

/**
 * Takes one of the `perSecond` sends of the current second (a counter item per second, shared by
 * every concurrent sender: the SES account's rate is one for the whole account). A full second
 * waits for the next; after a few full ones it throws SendRateExceededError, which the campaign
 * sequence retries with backoff. Reserved concurrency bounds how many senders wait at once.
 */
export async function takeSendToken(perSecond: number, clock: () => number = Date.now): Promise<void> {
  for (let tried = 0; tried < WINDOWS_TRIED; tried++) {
    const nowMs = clock();
    const second = Math.floor(nowMs / 1000);
    try {
      await documents.send(
        new UpdateCommand({
          TableName: tableEnv.TABLE_NAME,
          Key: keys.sendRateWindow(second),
          UpdateExpression: 'ADD sent :one SET expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(sent) OR sent < :limit',
          ExpressionAttributeValues: { ':one': 1, ':limit': perSecond, ':expires': second + 3600 },
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await sleep((second + 1) * 1000 - nowMs + Math.floor(Math.random() * 50));
    }
  }
  throw new SendRateExceededError(`the campaign send rate (${perSecond}/s) is used up`);
}
