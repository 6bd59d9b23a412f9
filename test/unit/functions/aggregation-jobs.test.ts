import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpEvent, lambdaContext } from './events';

const dynamo = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Aggregation';
const lockKey = { pk: 'JOB#metrics-aggregation', sk: 'LOCK' };
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

let handler: typeof import('../../../functions/aggregation-jobs').handler;

beforeAll(async () => {
  process.env.AGGREGATION_STATE_MACHINE_ARN = MACHINE;
  ({ handler } = await import('../../../functions/aggregation-jobs'));
});

beforeEach(() => {
  dynamo.on(GetCommand).resolves({});
  dynamo.on(TransactWriteCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${MACHINE}:x` });
});

afterEach(() => {
  dynamo.reset();
  sfn.reset();
});

const admin = { name: 'ops', scopes: ['admin'] };

async function post() {
  const result = (await handler(httpEvent('POST /v1/metrics/aggregate', { caller: admin }), lambdaContext())) as {
    statusCode: number;
    body: string;
    headers?: Record<string, string>;
  };
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown>, headers: result.headers ?? {} };
}

async function get(jobId: string) {
  const result = (await handler(
    httpEvent('GET /v1/metrics/aggregate/{jobId}', { path: `/v1/metrics/aggregate/${jobId}`, pathParameters: { jobId }, caller: admin }),
    lambdaContext(),
  )) as { statusCode: number; body: string };
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
}

function lockHeldBy(jobId: string, leaseUntil = inAnHour()) {
  dynamo.on(GetCommand, { Key: lockKey }).resolves({ Item: { ...lockKey, jobId, leaseUntil } });
}

function storedJob(job: Record<string, unknown>) {
  dynamo
    .on(GetCommand, { Key: { pk: `JOB#${String(job.jobId)}`, sk: 'JOB' } })
    .resolves({ Item: { pk: `JOB#${String(job.jobId)}`, sk: 'JOB', ...job } });
}

const lockTaken = () =>
  new TransactionCanceledException({
    message: 'cancelled',
    $metadata: {},
    CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
  });

describe('POST /v1/metrics/aggregate', () => {
  it('queues a job with the lock in one transaction, starts its execution named after it and answers 202 at once', async () => {
    const answer = await post();

    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      jobId: expect.stringMatching(/^aggregate-[0-9a-f-]{36}$/),
      status: 'queued',
      requestedAt: expect.any(String),
    });
    const jobId = answer.body.jobId as string;
    expect(answer.headers.location).toBe(`/v1/metrics/aggregate/${jobId}`);
    const [lock, job] = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(lock!.Put).toMatchObject({ Item: { ...lockKey, jobId, leaseUntil: expect.any(Number) } });
    expect(lock!.Put!.ConditionExpression).toBe('attribute_not_exists(leaseUntil) OR leaseUntil < :now');
    expect(job!.Put).toMatchObject({
      Item: { pk: `JOB#${jobId}`, sk: 'JOB', status: 'queued' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
      stateMachineArn: MACHINE,
      name: jobId,
      input: JSON.stringify({ jobId }),
    });
  });

  it('answers the job already running instead of starting a second one', async () => {
    dynamo.on(TransactWriteCommand).rejects(lockTaken());
    lockHeldBy('aggregate-running');
    const running = {
      jobId: 'aggregate-running',
      status: 'running',
      requestedAt: '2026-03-10T10:00:00.000Z',
      startedAt: '2026-03-10T10:00:00.100Z',
    };
    storedJob(running);

    const answer = await post();

    expect(answer.status).toBe(202);
    expect(answer.body).toEqual(running);
    expect(answer.headers.location).toBe('/v1/metrics/aggregate/aggregate-running');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('takes the lock over from a job that has ended without freeing it', async () => {
    dynamo.on(TransactWriteCommand).rejectsOnce(lockTaken()).resolves({});
    lockHeldBy('aggregate-old');
    storedJob({
      jobId: 'aggregate-old',
      status: 'succeeded',
      requestedAt: '2026-03-10T10:00:00.000Z',
      finishedAt: '2026-03-10T10:00:01.000Z',
    });

    const answer = await post();

    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ status: 'queued' });
    const retry = dynamo.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems![0]!.Put!;
    expect(retry.ConditionExpression).toBe('attribute_not_exists(leaseUntil) OR leaseUntil < :now OR jobId = :stale');
    expect(retry.ExpressionAttributeValues).toMatchObject({ ':stale': 'aggregate-old' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('ends the job as failed, with the error name, and frees the lock when its execution cannot start', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    const answer = await post();

    expect(answer.status).toBeGreaterThanOrEqual(500);
    const jobId = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![1]!.Put!.Item!.jobId as string;
    const [failed, release] = dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(failed).toMatchObject({
      Key: { pk: `JOB#${jobId}`, sk: 'JOB' },
      ExpressionAttributeValues: { ':status': 'failed', ':error': 'ThrottlingException' },
    });
    expect(release).toMatchObject({ Key: lockKey, UpdateExpression: 'REMOVE leaseUntil', ExpressionAttributeValues: { ':jobId': jobId } });
  });

  it('leaves the lock alone when another job has taken it over meanwhile', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('boom'), { name: 'ServiceUnavailable' }));
    dynamo.on(UpdateCommand, { Key: lockKey }).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    const answer = await post();

    // The start's own error is what the client hears about, not the lock's.
    expect(answer.status).toBeGreaterThanOrEqual(500);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(2);
  });
});

describe('GET /v1/metrics/aggregate/{jobId}', () => {
  it('reads the job: status, times and the figures of a finished run', async () => {
    const job = {
      jobId: 'aggregate-1',
      status: 'succeeded',
      requestedAt: '2026-03-10T10:00:00.000Z',
      startedAt: '2026-03-10T10:00:00.100Z',
      finishedAt: '2026-03-10T10:00:02.000Z',
      eventsFolded: 12,
      watermark: '2026-03-10T09:59:00.000Z',
    };
    storedJob(job);
    expect(await get('aggregate-1')).toEqual({ status: 200, body: job });
    expect(dynamo.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({ ConsistentRead: true });
  });

  it('answers 404 for an unknown job and for a rescore job', async () => {
    expect((await get('aggregate-none')).status).toBe(404);
    storedJob({
      jobId: 'rescore-1',
      status: 'running',
      rulesVersion: 'v1',
      processed: 0,
      rescored: 0,
      startedAt: '2026-03-10T10:00:00.000Z',
    });
    expect((await get('rescore-1')).status).toBe(404);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(1);
  });
});
