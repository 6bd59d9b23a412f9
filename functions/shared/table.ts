import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

/** Parsed once at start-up: a missing variable fails the cold start, not a request. */
export const tableEnv = z.object({ TABLE_NAME: z.string().min(1) }).parse(process.env);

export const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});

/**
 * Writes `first` only if no item has its key yet, together with `others`, in one transaction.
 * Returns false (and writes nothing) when `first` already existed.
 */
export async function putIfAbsentWith(first: Record<string, unknown>, others: Array<Record<string, unknown>>): Promise<boolean> {
  try {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableEnv.TABLE_NAME, Item: first, ConditionExpression: 'attribute_not_exists(pk)' } },
          ...others.map((Item) => ({ Put: { TableName: tableEnv.TABLE_NAME, Item } })),
        ],
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}
