import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod';

const env = z.object({ STATE_MACHINE_ARN: z.string().min(1) }).parse(process.env);
const sfn = new SFNClient({});

/**
 * Table stream consumer (filtered to new lead items): starts the lead's lifecycle execution,
 * named after the lead so it can only ever start once. The stream is durable and retried, so
 * a captured lead always gets its workflow even if Step Functions was briefly unavailable.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const leadId = record.dynamodb?.NewImage?.leadId?.S;
    if (!leadId) continue;
    try {
      await sfn.send(
        new StartExecutionCommand({ stateMachineArn: env.STATE_MACHINE_ARN, name: leadId, input: JSON.stringify({ leadId }) }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) continue;
      // Records of one partition arrive in order; retry from the first failure.
      batchItemFailures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
      break;
    }
  }
  return { batchItemFailures };
}
