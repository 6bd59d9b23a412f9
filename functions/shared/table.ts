import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

/** Parsed once at start-up: a missing variable fails the cold start, not a request. */
export const tableEnv = z.object({ TABLE_NAME: z.string().min(1) }).parse(process.env);

/**
 * A stalled table must not hold a request until the function times out (API Gateway would then
 * answer a bare 500): each attempt gives up after these, the SDK retries once with backoff, and
 * what still fails is a TimeoutError that the HTTP chain answers with 503 and Retry-After.
 */
export const DYNAMODB_CONNECTION_TIMEOUT_MS = 1_000;
export const DYNAMODB_REQUEST_TIMEOUT_MS = 2_000;

export const documents = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    maxAttempts: 2,
    // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes, and keeps waiting.
    requestHandler: {
      connectionTimeout: DYNAMODB_CONNECTION_TIMEOUT_MS,
      requestTimeout: DYNAMODB_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  }),
  {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  },
);

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

/**
 * Every item a query of the table finds, page after page. For partitions that stay small (a
 * lead's items, the team's campaigns or templates, a campaign's stats shards); a query that can
 * grow without bound pages through its caller instead.
 */
export async function queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new QueryCommand({ TableName: tableEnv.TABLE_NAME, ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
