import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { NotFoundError } from '../core/errors';
import { httpHandler } from './shared/http';
import { createJob, getJob } from './shared/jobs-repository';
import { getActiveRules } from './shared/rules-repository';

const env = z.object({ RESCORE_STATE_MACHINE_ARN: z.string().min(1) }).parse(process.env);
const sfn = new SFNClient({});

/**
 * POST /v1/scoring/rescore starts an asynchronous rescore of every lead with the active rules
 * (a Step Functions loop pages through the leads, so no Lambda runs long and nothing scans the
 * table); GET /v1/scoring/rescore/{jobId} reads its progress (admin).
 */
export const handler = httpHandler(async (request) => {
  if (request.method === 'GET') {
    const job = await getJob((request.pathParameters.jobId ?? '').slice(0, 64));
    if (!job) throw new NotFoundError('there is no such rescore job');
    return { status: 200, json: job };
  }
  const rules = await getActiveRules({ fresh: true });
  const jobId = `rescore-${randomUUID()}`;
  await createJob({
    jobId,
    status: 'running',
    rulesVersion: rules.version,
    processed: 0,
    rescored: 0,
    startedAt: new Date().toISOString(),
  });
  await sfn.send(
    new StartExecutionCommand({ stateMachineArn: env.RESCORE_STATE_MACHINE_ARN, name: jobId, input: JSON.stringify({ jobId }) }),
  );
  return {
    status: 202,
    json: { jobId, rulesVersion: rules.version, status: 'running' },
    headers: { location: `/v1/scoring/rescore/${jobId}` },
  };
});
