import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

/** Parsed once at start-up: a missing variable fails the cold start, not a request. */
export const tableEnv = z.object({ TABLE_NAME: z.string().min(1) }).parse(process.env);

export const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});
