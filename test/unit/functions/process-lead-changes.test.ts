import { lambdaContext } from './events';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { planCapture } from '../../../core/capture';
import { defaultScoringRules } from '../../../core/scoring';
import { validateSubmission } from '../../../core/submission';

const dynamo = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
let handler: typeof import('../../../functions/process-lead-changes').handler;

beforeAll(async () => {
  vi.stubEnv('STATE_MACHINE_ARN', 'arn:aws:states:us-east-1:123456789012:stateMachine:LeadLifecycle');
  ({ handler } = await import('../../../functions/process-lead-changes'));
});

afterEach(() => {
  dynamo.reset();
  sfn.reset();
});

const lead = planCapture(
  undefined,
  validateSubmission({ email: 'ada@example.com' }),
  { formId: 'default' },
  new Date('2026-03-01T10:00:00Z'),
  defaultScoringRules,
  {},
  { leadId: 'ld_testLeadIdFromTheKey00' },
).lead;
const resubmitted = planCapture(
  lead,
  validateSubmission({ email: 'ada@example.com' }),
  { formId: 'default' },
  new Date('2026-03-02T10:00:00Z'),
  defaultScoringRules,
).lead;
const image = (value: object) => marshall({ pk: `LEAD#${lead.leadId}`, sk: 'LEAD', ...value }, { removeUndefinedValues: true }) as never;

function streamEvent(...records: Array<{ eventName: 'INSERT' | 'MODIFY'; old?: object; now: object; seq: string }>): DynamoDBStreamEvent {
  return {
    Records: records.map((record) => ({
      eventName: record.eventName,
      dynamodb: { SequenceNumber: record.seq, NewImage: image(record.now), OldImage: record.old && image(record.old) },
    })),
  };
}

describe('process-lead-changes', () => {
  it('records a new lead as captured and starts its lifecycle named after the lead', async () => {
    dynamo.on(PutCommand).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn' });
    expect(await handler(streamEvent({ eventName: 'INSERT', now: lead, seq: '1' }), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(dynamo.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { type: 'captured', leadId: lead.leadId },
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toMatchObject({
      name: lead.leadId,
      input: JSON.stringify({ leadId: lead.leadId }),
    });
  });

  it('treats an execution that already exists and an entry already written as done (redelivery)', async () => {
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    // This lead's own execution: started after the lead was created.
    sfn.on(DescribeExecutionCommand).resolves({ startDate: new Date(Date.parse(lead.createdAt) + 50) });
    expect(await handler(streamEvent({ eventName: 'INSERT', now: lead, seq: '1' }), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it("starts a lead captured again after an erasure under a new name: the old name is the erased lead's", async () => {
    dynamo.on(PutCommand).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn' });
    sfn.on(StartExecutionCommand, { name: lead.leadId }).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ startDate: new Date(Date.parse(lead.createdAt) - 86_400_000), status: 'ABORTED' });
    expect(await handler(streamEvent({ eventName: 'INSERT', now: lead, seq: '1' }), lambdaContext())).toEqual({ batchItemFailures: [] });
    const names = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
    expect(names).toEqual([lead.leadId, `${lead.leadId}-${lead.createdAt.replace(/\D/g, '')}`]);
  });

  it('records a resubmission without starting anything', async () => {
    dynamo.on(PutCommand).resolves({});
    await handler(streamEvent({ eventName: 'MODIFY', old: lead, now: resubmitted, seq: '2' }), lambdaContext());
    expect(dynamo.commandCalls(PutCommand)[0]!.args[0].input.Item).toMatchObject({ type: 'resubmitted' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('reports the first failed record so the stream retries from there', async () => {
    dynamo.on(PutCommand).resolves({});
    sfn.on(StartExecutionCommand).rejects(new Error('throttled'));
    const result = await handler(
      streamEvent({ eventName: 'MODIFY', old: lead, now: resubmitted, seq: '2' }, { eventName: 'INSERT', now: lead, seq: '3' }),
      lambdaContext(),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '3' }] });
  });
});
