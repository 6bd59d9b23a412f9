import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue as StreamAttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { touchEntries } from '../core/capture';
import { leadSchema, type Lead } from '../core/lead';
import { executionArnOf, lifecycleExecutionName } from '../core/lifecycle';
import { appendHistory, withoutKeys } from './shared/leads-repository';
import { logger, observed } from './shared/observability';

const env = z.object({ STATE_MACHINE_ARN: z.string().min(1) }).parse(process.env);
const sfn = new SFNClient({});

/**
 * Table stream consumer for lead items. A capture is one durable write; what follows from it
 * happens here, retried by the stream until it succeeds: the `captured`/`resubmitted` history
 * entries, and for a new lead the start of its lifecycle execution, named after the lead so it
 * can only ever start once.
 */
export const handler = observed(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  for (const record of event.Records) {
    try {
      await processRecord(record);
    } catch (error) {
      // Records of one lead arrive in order: retry from the first failure.
      logger.error('lead change not processed; the stream retries from it', {
        leadId: leadIdOf(record),
        error: { name: (error as Error).name, message: (error as Error).message },
      });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
});

async function processRecord(record: DynamoDBRecord): Promise<void> {
  const current = leadFrom(record.dynamodb?.NewImage);
  if (!current) return;
  // Conditional: a redelivered record must not rewrite (and so re-index) an entry already written.
  for (const entry of touchEntries(leadFrom(record.dynamodb?.OldImage), current)) await appendHistory(entry, { onlyOnce: true });
  if (record.eventName !== 'INSERT') return;
  if (await startLifecycle(current, lifecycleExecutionName(current.leadId))) return;
  // The name is taken: by this lead (a redelivered record), or by an erased lead of the same address.
  if (await startedBefore(current)) await startLifecycle(current, lifecycleExecutionName(current.leadId, current.createdAt));
}

/** Starts the lead's lifecycle execution; false when one of that name already exists. */
async function startLifecycle(lead: Lead, name: string): Promise<boolean> {
  try {
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn: env.STATE_MACHINE_ARN, name, input: JSON.stringify({ leadId: lead.leadId }) }),
    );
    return true;
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    return false;
  }
}

/** The execution named after the lead started before the lead was created: it was an erased lead's. */
async function startedBefore(lead: Lead): Promise<boolean> {
  const executionArn = executionArnOf(env.STATE_MACHINE_ARN, lifecycleExecutionName(lead.leadId));
  const { startDate } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  return startDate !== undefined && startDate.getTime() < Date.parse(lead.createdAt);
}

function leadFrom(image: Record<string, StreamAttributeValue> | undefined): Lead | undefined {
  if (!image) return undefined;
  return leadSchema.parse(withoutKeys(unmarshall(image as Record<string, AttributeValue>)));
}

/** The lead's id from a record's keys (the images may be absent or unparseable). */
function leadIdOf(record: DynamoDBRecord): string | undefined {
  const pk = record.dynamodb?.Keys?.pk?.S;
  return pk?.startsWith('LEAD#') ? pk.slice('LEAD#'.length) : undefined;
}
