import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';
import { scratchDataDir } from '../../local/local-aws';
import { dynamoFaults, eventually, qualifiedLead, throttleDynamo, uniqueEmail } from './helpers';

/**
 * Workflows that never die silently, in a local cloud of their own: DynamoDB throttling injected
 * into every task state is retried away; a step that keeps failing parks the execution where the
 * lead shows it and an operator's retry brings it back; and an execution nearing Standard's
 * lifetime hands its lead to a successor (continue-as-new) instead of timing out.
 *
 * The clock is scaled: executions here live 30 s (a year on AWS), waits last seconds of workflow
 * time at a time scale of 10, and the lifecycle configuration hands over at 40 s of age-plus-wait.
 */
const timeScale = 10;
const lifetimeSeconds = 30;
const dataDir = scratchDataDir('workflow-faults');
let cloud: LocalCloud;
let lifecycleArn: string;

/** Every delay in workflow seconds, so that follow-ups, retention and hand-overs happen within a test. */
const fastLifecycle = {
  owners: [
    { name: 'Sam Rivera', email: 'sam.rivera@example.com' },
    { name: 'Alex Chen', email: 'alex.chen@example.com' },
  ],
  manager: { name: 'Morgan Lee', email: 'morgan.lee@example.com' },
  followUps: {
    qualifiedRemindAfter: 'PT10S',
    qualifiedEscalateAfter: 'PT20S',
    idleCheckInAfter: { presentation: 'PT10S', objection: 'PT10S', closing: 'PT10S' },
    staleRemindEvery: 'PT30S',
    nurtureRecheckEvery: 'PT20S',
  },
  retention: { checkInAfter: 'PT10S', surveyAfter: 'PT20S', upsellAfter: 'PT30S' },
  renurtureAfter: 'PT20S',
  recycleQualifiedAfter: 'PT1H',
  continueAsNewAfter: 'PT40S',
};

beforeAll(async () => {
  cloud = await startLocalCloud({
    dataDir,
    apiPort: 0,
    sitePort: 0,
    dynamoPort: 0,
    timeScale,
    executionLifetimeSeconds: lifetimeSeconds,
    log: () => {},
  });
  lifecycleArn = cloud.stateMachines.LeadLifecycle!;
  const current = await api('GET', '/v1/lifecycle-config');
  const put = await api('PUT', '/v1/lifecycle-config', fastLifecycle, { 'if-match': current.headers.get('etag') ?? '' });
  expect(put.status, await put.clone().text()).toBe(200);
  // Cold starts read the stored configuration at once (no cache to wait out).
  await fetch(`${cloud.controlUrl}/functions/recycle`, { method: 'POST' });
}, 180_000);

afterAll(async () => {
  await cloud.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${cloud.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${cloud.adminKey}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

async function lead(leadId: string): Promise<Record<string, unknown> & { stage?: string; workflow?: unknown; owner?: unknown }> {
  return (await api('GET', `/v1/leads/${leadId}`)).json() as Promise<
    Record<string, unknown> & { stage?: string; workflow?: unknown; owner?: unknown }
  >;
}

async function history(leadId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  return (
    (await (await api('GET', `/v1/leads/${leadId}/history?limit=500`)).json()) as {
      entries: Array<{ type: string; data: Record<string, unknown> }>;
    }
  ).entries;
}

async function capture(fields: Record<string, string>): Promise<string> {
  const response = await api('POST', '/v1/forms/default/submissions', fields);
  expect(response.status).toBe(202);
  return ((await response.json()) as { leadId: string }).leadId;
}

async function move(leadId: string, body: Record<string, unknown>): Promise<void> {
  const response = await api('POST', `/v1/leads/${leadId}/stage`, body);
  expect(response.status, await response.clone().text()).toBe(200);
}

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) => eventually(what, probe, timeoutMs);

async function untilStage(
  leadId: string,
  stage: string,
): Promise<Record<string, unknown> & { stage?: string; workflow?: unknown; owner?: unknown }> {
  return waitFor(`stage ${stage}`, async () => {
    const current = await lead(leadId);
    return current.stage === stage ? current : undefined;
  });
}

const sfn = () =>
  new SFNClient({ endpoint: cloud.sfnEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

/** The lead's executions (its first and every successor), oldest first. */
async function executionsOf(leadId: string): Promise<Array<{ name: string; status: string }>> {
  const { executions = [] } = await sfn().send(new ListExecutionsCommand({ stateMachineArn: lifecycleArn, maxResults: 1000 }));
  return executions
    .filter((execution) => execution.name === leadId || execution.name?.startsWith(`${leadId}-g`))
    .map((execution) => ({ name: execution.name!, status: execution.status! }))
    .sort((a, b) => generation(a.name) - generation(b.name));
}

const generation = (name: string) => Number(/-g(\d+)$/.exec(name)?.[1] ?? 1);

/** Arms `calls` throttled DynamoDB calls for one function, waits until all were spent, and returns how many it took. */
async function throttled(functionName: string, calls: number, during: () => Promise<void>): Promise<void> {
  await throttleDynamo({ calls, functions: [functionName] }, cloud.controlUrl);
  await during();
  const report = await waitFor(`${calls} throttled calls of ${functionName}`, async () => {
    const faults = await dynamoFaults(cloud.controlUrl);
    return faults.bounded?.remaining === 0 ? faults : undefined;
  });
  expect(report.bounded?.byFunction[functionName]).toBe(calls);
}

async function emailsSent(leadId: string, template: string): Promise<number> {
  return (await history(leadId)).filter((entry) => entry.type === 'email_sent' && entry.data.template === template).length;
}

describe('workflows under faults', () => {
  it('retries DynamoDB throttling on every task state, and the lead goes on as if nothing happened', async () => {
    // Each function's first 4 calls are throttled: with the SDK's own retry, its first two
    // invocations fail, and the state machine's retries (backoff, jitter) carry the step through.
    let leadId = '';
    await throttled('RouteLead', 4, async () => {
      leadId = await capture(qualifiedLead(uniqueEmail('throttled'), 'Tess'));
      await untilStage(leadId, 'qualified');
    });
    await throttled('SendFollowUp', 4, async () => {
      await waitFor('the owner reminder', async () => ((await emailsSent(leadId, 'owner-reminder')) >= 1 ? true : undefined));
    });
    await throttled('AwaitRepMove', 4, () => move(leadId, { stage: 'presentation' }));
    await waitFor('the check-in after the throttled wait', async () =>
      (await emailsSent(leadId, 'prospect-check-in')) >= 1 ? true : undefined,
    );
    await throttled('SendRetentionEmail', 4, async () => {
      await move(leadId, { stage: 'closing' });
      await move(leadId, { stage: 'won', dealValue: 1000 });
      await waitFor('the thank-you', async () => ((await emailsSent(leadId, 'thank-you')) === 1 ? true : undefined));
    });
    expect((await lead(leadId)).workflow).toBeUndefined();
    expect((await history(leadId)).filter((entry) => entry.type === 'workflow_step_failed')).toEqual([]);

    const lostId = await capture(qualifiedLead(uniqueEmail('renurtured'), 'Rene'));
    await untilStage(lostId, 'qualified');
    await throttled('RenurtureLead', 4, async () => {
      await move(lostId, { stage: 'lost', reason: 'chose a competitor' });
      await untilStage(lostId, 'nurturing');
    });
    expect((await lead(lostId)).workflow).toBeUndefined();
  }, 240_000);

  it('parks a step that keeps failing, shows it on the lead, and resumes it on an operator retry', async () => {
    // Far more throttled calls than the retries can outlast: Route fails for good.
    await throttleDynamo({ calls: 1000, functions: ['RouteLead'] }, cloud.controlUrl);
    const leadId = await capture(qualifiedLead(uniqueEmail('parked'), 'Pat'));
    const parked = await waitFor('the lead flagged', async () => {
      const current = await lead(leadId);
      return current.workflow ? current : undefined;
    });
    expect(parked).toMatchObject({
      stage: 'new',
      workflow: { status: 'needs_attention', state: 'Route', error: 'ProvisionedThroughputExceededException' },
    });
    expect(
      (
        await sfn().send(
          new DescribeExecutionCommand({ executionArn: `${lifecycleArn.replace(':stateMachine:', ':execution:')}:${leadId}` }),
        )
      ).status,
    ).toBe('RUNNING');
    const failure = (await history(leadId)).find((entry) => entry.type === 'workflow_step_failed');
    expect(failure?.data).toMatchObject({ state: 'Route', error: 'ProvisionedThroughputExceededException', parked: true });

    // The table recovers; the operator retries; the lead is routed as it would have been.
    await fetch(`${cloud.controlUrl}/faults/dynamodb`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'off' }),
    });
    const retried = await api('POST', `/v1/leads/${leadId}/workflow/retry`);
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ action: 'resumed' });
    const routed = await untilStage(leadId, 'qualified');
    expect(routed.workflow).toBeUndefined();
    expect(routed.owner).toBeDefined();
  }, 180_000);

  it('hands a long-lived lead to successor executions before the lifetime ends, even with the hand-over throttled', async () => {
    const { timeline: _timeline, message: _message, ...nurtured } = qualifiedLead(uniqueEmail('longlived'), 'Noor');
    const leadId = await capture(nurtured);
    await untilStage(leadId, 'nurturing');
    // The first hand-over's function is throttled too: it is retried like any step.
    await throttleDynamo({ calls: 3, functions: ['ContinueLifecycle'] }, cloud.controlUrl);

    // Two lifetimes of nurture re-checks: without hand-overs the first execution would time out.
    const lineage = await waitFor(
      'a third generation',
      async () => {
        const executions = await executionsOf(leadId);
        return executions.some((execution) => generation(execution.name) >= 3) ? executions : undefined;
      },
      120_000,
    );
    expect(lineage[0]).toEqual({ name: leadId, status: 'SUCCEEDED' });
    // Each predecessor ends as its successor starts.
    await waitFor('the second generation to end', async () => ((await executionsOf(leadId))[1]?.status === 'SUCCEEDED' ? true : undefined));
    expect(lineage.map((execution) => execution.status)).not.toContain('TIMED_OUT');
    expect(lineage.map((execution) => execution.status)).not.toContain('FAILED');
    const handOvers = (await history(leadId)).filter((entry) => entry.type === 'workflow_continued');
    expect(handOvers.map((entry) => entry.data)).toEqual(
      expect.arrayContaining([
        { from: leadId, to: `${leadId}-g2` },
        { from: `${leadId}-g2`, to: `${leadId}-g3` },
      ]),
    );

    // The current successor still follows the lead: a move hands it to sales and the workflow waits in qualified.
    await move(leadId, { stage: 'qualified', reason: 'asked for a demo' });
    const qualified = await untilStage(leadId, 'qualified');
    expect(qualified.owner).toBeDefined();
    await waitFor('the owner reminder from the successor', async () =>
      (await emailsSent(leadId, 'owner-reminder')) >= 1 ? true : undefined,
    );
    expect((await executionsOf(leadId)).filter((execution) => execution.status === 'RUNNING')).toHaveLength(1);
  }, 180_000);
});
