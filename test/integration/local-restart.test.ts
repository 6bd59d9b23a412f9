import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';
import { scratchDataDir } from '../../local/local-aws';
import { readMailbox } from '../../local/ses';
import { eventually, qualifiedLead, uniqueEmail } from './helpers';

/**
 * `npm start` stopped and started again on the same data directory, with workflows waiting in
 * several states: each execution is RUNNING again with its history, a follow-up that fell due
 * while the cloud was down is sent at once, and a rep's move after the restart resumes the
 * workflow through the task token issued before it. Its own cloud (persistent data), apart from
 * the global setup's in-memory one. The checks name no lifecycle state, so the lifecycle may gain states.
 */
const dataDir = scratchDataDir('restart');
/** A workflow day passes in 60 s: the qualified lead's reminder (1 day) falls due while the cloud is down. */
const timeScale = 1_440;
const DAY_MS = 86_400_000 / timeScale;
let cloud: LocalCloud | undefined;
const lines: string[] = [];

const start = () => startLocalCloud({ dataDir, apiPort: 0, sitePort: 0, dynamoPort: 0, timeScale, log: (line) => lines.push(line) });

afterAll(async () => {
  await cloud?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function api(current: LocalCloud, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${current.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${current.adminKey}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

async function capture(current: LocalCloud, firstName: string): Promise<{ leadId: string; email: string }> {
  const email = uniqueEmail(firstName.toLowerCase());
  const response = await api(current, 'POST', '/v1/forms/default/submissions', qualifiedLead(email, firstName));
  expect(response.status).toBe(202);
  return { leadId: ((await response.json()) as { leadId: string }).leadId, email };
}

async function move(current: LocalCloud, leadId: string, body: Record<string, unknown>): Promise<void> {
  const response = await api(current, 'POST', `/v1/leads/${leadId}/stage`, body);
  expect(response.status, await response.clone().text()).toBe(200);
}

async function untilStage(current: LocalCloud, leadId: string, stage: string): Promise<void> {
  await eventually(`lead ${leadId} in ${stage}`, async () => {
    const lead = (await (await api(current, 'GET', `/v1/leads/${leadId}`)).json()) as { stage: string };
    return lead.stage === stage ? true : undefined;
  });
}

/** A lead that routes to nurturing (no timeline, no need stated) with marketing consent, in a cohort of its own. */
async function captureNurtured(current: LocalCloud, firstName: string): Promise<{ leadId: string; email: string }> {
  const email = uniqueEmail(firstName.toLowerCase());
  const { timeline: _timeline, message: _message, ...fields } = qualifiedLead(email, firstName);
  const response = await api(current, 'POST', '/v1/forms/default/submissions', { ...fields, cohort: email, consent: 'yes' });
  expect(response.status).toBe(202);
  const { leadId } = (await response.json()) as { leadId: string };
  await untilStage(current, leadId, 'nurturing');
  return { leadId, email };
}

/** Two templates and a two-step campaign for that one lead, launched; answers once step 1 is in the mailbox. */
async function campaignInFlight(current: LocalCloud, email: string): Promise<string> {
  for (const step of [1, 2]) {
    const template = {
      subject: `Restart step ${step} {{firstName}}`,
      html: '<p>Hi</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
      text: 'Hi {{unsubscribeUrl}}',
    };
    expect((await api(current, 'PUT', `/v1/email-templates/restart-${step}`, template)).status).toBe(201);
  }
  const created = await api(current, 'POST', '/v1/campaigns', {
    name: 'Across a restart',
    segment: { stages: ['nurturing'], customField: { name: 'cohort', equals: email } },
    steps: [
      { templateId: 'restart-1', delay: 'PT0S' },
      { templateId: 'restart-2', delay: 'PT18H' },
    ],
  });
  expect(created.status).toBe(201);
  const { campaignId } = (await created.json()) as { campaignId: string };
  expect((await api(current, 'POST', `/v1/campaigns/${campaignId}/launch`)).status).toBe(202);
  await eventually('step 1 of the campaign', async () =>
    (await readMailbox(current.mailbox.storeUrl)).some((mail) => mail.to.includes(email) && mail.subject.startsWith('Restart step 1'))
      ? true
      : undefined,
  );
  return campaignId;
}

interface Running {
  name: string;
  status: string;
  currentState?: string;
}

async function executions(current: LocalCloud): Promise<Running[]> {
  return ((await (await fetch(`${current.controlUrl}/executions`)).json()) as { executions: Running[] }).executions;
}

/**
 * The lead's lifecycle execution once it is parked: its last event is a Wait, or a callback task
 * waiting for its token. Not a Choice passing through, nor a task still running (the thank-you
 * email is in the mailbox a moment before its task ends).
 */
async function parked(current: LocalCloud, leadId: string): Promise<Running> {
  return eventually(`the workflow of ${leadId} waiting`, async () => {
    const execution = (await executions(current)).find((candidate) => candidate.name.includes(leadId));
    if (execution?.status !== 'RUNNING') return undefined;
    const last = (await history(current, execution.name)).at(-1);
    if (last?.type === 'WaitStateEntered') return execution;
    const waitingForToken = last?.type === 'TaskStarted' && (last.taskStartedEventDetails?.resource ?? '').endsWith('.waitForTaskToken');
    return waitingForToken ? execution : undefined;
  });
}

const sfn = (current: LocalCloud) =>
  new SFNClient({ endpoint: current.sfnEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

const arnOf = (current: LocalCloud, name: string) =>
  `${current.stateMachines.LeadLifecycle!.replace(':stateMachine:', ':execution:')}:${name}`;

async function history(current: LocalCloud, name: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn(current).send(
      new GetExecutionHistoryCommand({ executionArn: arnOf(current, name), maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

describe('the local cloud across a restart', () => {
  it('resumes waiting workflows: timers that fell due fire, task tokens still resume', async () => {
    cloud = await start();
    const first = cloud;
    // Waiting for a rep in qualified (a reminder 1 day on), in presentation (a check-in 3 days on),
    // between retention emails after a win, and before re-nurturing after a loss.
    const inQualified = await capture(first, 'Quinn');
    const inPresentation = await capture(first, 'Priya');
    const won = await capture(first, 'Wanda');
    const lost = await capture(first, 'Lars');
    for (const lead of [inQualified, inPresentation, won, lost]) await untilStage(first, lead.leadId, 'qualified');
    const qualifiedAt = Date.now();
    await move(first, inPresentation.leadId, { stage: 'presentation' });
    for (const stage of ['presentation', 'closing']) await move(first, won.leadId, { stage });
    await move(first, won.leadId, { stage: 'won', dealValue: 1000 });
    await move(first, lost.leadId, { stage: 'lost', reason: 'no budget' });
    await eventually('the thank-you email', async () =>
      (await readMailbox(first.mailbox.storeUrl)).some((mail) => mail.to.includes(won.email)) ? true : undefined,
    );

    // A campaign sequence in flight: step 1 sent, step 2 due 18 workflow hours later (45 s), while the cloud is down.
    const nurtured = await captureNurtured(first, 'Nora');
    const campaignId = await campaignInFlight(first, nurtured.email);

    const leads = [inQualified, inPresentation, won, lost];
    const before = new Map<string, { execution: Running; events: HistoryEvent[] }>();
    for (const lead of leads) {
      const execution = await parked(first, lead.leadId);
      before.set(lead.leadId, { execution, events: await history(first, execution.name) });
    }
    const mailBefore = new Set((await readMailbox(first.mailbox.storeUrl)).map((mail) => mail.messageId));
    const remindersBefore = before.get(inQualified.leadId)!.events.filter((event) => event.type === 'TaskScheduled').length;
    await cloud.stop();
    cloud = undefined;

    // Down until the qualified lead's reminder is past due.
    const dueIn = qualifiedAt + 1.2 * DAY_MS - Date.now();
    if (dueIn > 0) await new Promise((resolve) => setTimeout(resolve, dueIn));
    lines.length = 0;
    cloud = await start();
    const second = cloud;
    const restored = lines.find((line) => line.startsWith('restored '));
    console.log(`restart: ${restored}`);
    expect(restored).toMatch(/^restored \d+ workflow executions \(\d+ running, resumed\)/);
    // The same sources and context: the restart takes the assembly built before instead of bundling again.
    expect(lines).toContain('took the CDK app synthesized before from the same sources');

    // Every execution is RUNNING again, with its history from before the restart.
    for (const lead of leads) {
      const { execution, events } = before.get(lead.leadId)!;
      const described = await sfn(second).send(new DescribeExecutionCommand({ executionArn: arnOf(second, execution.name) }));
      expect(described.status, lead.email).toBe('RUNNING');
      const after = await history(second, execution.name);
      expect(after.slice(0, events.length).map((event) => [event.id, event.type])).toEqual(events.map((event) => [event.id, event.type]));
      expect(after.filter((event) => event.type === 'ExecutionStarted')).toHaveLength(1);
    }

    // The reminder that fell due while the cloud was down is sent at once: a new email, a new task run.
    await eventually('the overdue follow-up', async () => {
      const events = await history(second, before.get(inQualified.leadId)!.execution.name);
      return events.filter((event) => event.type === 'TaskScheduled').length > remindersBefore ? true : undefined;
    });
    await eventually('the follow-up email', async () => {
      const fresh = (await readMailbox(second.mailbox.storeUrl)).filter((mail) => !mailBefore.has(mail.messageId));
      return fresh.some((mail) => `${mail.subject} ${mail.text ?? ''}`.includes('Quinn')) ? true : undefined;
    });

    // The lead in presentation waits on the token issued before the restart: the move resumes it.
    const presentation = before.get(inPresentation.leadId)!;
    const waitingEvents = (await history(second, presentation.execution.name)).length;
    expect(waitingEvents).toBe(presentation.events.length);
    await move(second, inPresentation.leadId, { stage: 'closing' });
    await eventually('the workflow to move on', async () => {
      const events = await history(second, presentation.execution.name);
      const resumed = events.slice(waitingEvents).some((event) => event.type === 'TaskSucceeded');
      return resumed ? true : undefined;
    });
    // The campaign's step 2, due while the cloud was down, goes out at once after the restart; step 1 is not sent again.
    await eventually('step 2 of the campaign', async () => {
      const mails = (await readMailbox(second.mailbox.storeUrl)).filter((mail) => mail.to.includes(nurtured.email));
      return mails.some((mail) => mail.subject.startsWith('Restart step 2')) ? mails : undefined;
    });
    const campaignMails = (await readMailbox(second.mailbox.storeUrl))
      .filter((mail) => mail.to.includes(nurtured.email) && mail.subject.startsWith('Restart step'))
      .map((mail) => mail.subject.slice(0, 'Restart step 1'.length))
      .sort();
    expect(campaignMails).toEqual(['Restart step 1', 'Restart step 2']);
    const stats = ((await (await api(second, 'GET', `/v1/campaigns/${campaignId}`)).json()) as { stats: Record<string, number> }).stats;
    expect(stats).toMatchObject({ targeted: 1, sent: 2 });

    // The won and lost leads keep waiting for their next scheduled step.
    const running = await executions(second);
    for (const lead of [won, lost]) {
      expect(running.find((execution) => execution.name.includes(lead.leadId))).toMatchObject({
        status: 'RUNNING',
        currentState: before.get(lead.leadId)!.execution.currentState,
      });
    }
  }, 600_000);
});
