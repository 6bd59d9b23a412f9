import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, inject, it } from 'vitest';
import { readMailbox, type CapturedEmail } from '../../local/ses';
import { admin, eventually, json, postJson, uniqueEmail, qualifiedLead, keyed } from './helpers';

async function mailTo(address: string): Promise<CapturedEmail[]> {
  return (await readMailbox(inject('mailboxUrl'))).filter((mail) => mail.to.includes(address));
}

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000) => eventually(what, probe, timeoutMs);

async function lead(leadId: string) {
  return json(admin('GET', `/v1/leads/${leadId}`));
}

async function history(leadId: string): Promise<Array<{ type: string; at: string; data: Record<string, unknown> }>> {
  return (await json(admin('GET', `/v1/leads/${leadId}/history?limit=500`))).entries;
}

async function capture(body: Record<string, unknown>): Promise<string> {
  const response = await postJson('default', body, keyed());
  expect(response.status).toBe(202);
  return (await json(response)).leadId;
}

async function untilStage(leadId: string, stage: string) {
  return waitFor(`stage ${stage}`, async () => {
    const current = await lead(leadId);
    return current.stage === stage ? current : undefined;
  });
}

function move(leadId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${inject('apiUrl')}/v1/leads/${leadId}/stage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${inject('adminKey')}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function statesEntered(executionArn: string): Promise<string[]> {
  const events = (await sfn().send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
  return events.filter((event) => event.type?.endsWith('StateEntered')).map((event) => event.stateEnteredEventDetails?.name ?? '');
}

const sfn = () =>
  new SFNClient({ endpoint: inject('sfnEndpoint'), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

describe('lead lifecycle in the local cloud', () => {
  it('takes a lead from capture to won, then sends the retention emails in order at the scaled times', async () => {
    const email = uniqueEmail('path');
    const leadId = await capture(qualifiedLead(email, 'Grace'));
    const qualified = await untilStage(leadId, 'qualified');
    expect(qualified.owner).toMatchObject({ email: expect.stringMatching(/@example\.com$/) });

    for (const body of [
      { stage: 'presentation' },
      { stage: 'objection', objection: { type: 'price', note: 'Budget approved is lower' } },
      { stage: 'closing', reason: 'ROI case accepted' },
      { stage: 'won', dealValue: 42000, currency: 'EUR' },
    ]) {
      const response = await move(leadId, body);
      expect(response.status, JSON.stringify(await response.clone().json())).toBe(200);
    }
    expect(await lead(leadId)).toMatchObject({ stage: 'won', deal: { value: 42000, currency: 'EUR' } });

    const retention = ['Thank you, Grace!', 'How is it going, Grace?', 'Two minutes for feedback?', 'What is next for Grace Systems?'];
    const arrived: Record<string, number> = {};
    await waitFor(
      'the four retention emails',
      async () => {
        for (const mail of await mailTo(email)) {
          if (retention.includes(mail.subject)) arrived[mail.subject] ??= Date.now();
        }
        return Object.keys(arrived).length === retention.length ? true : undefined;
      },
      60_000,
    );
    const order = retention.map((subject) => arrived[subject]!);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Days scale to milliseconds: the upsell comes 90 scaled days after the win, the check-in 7.
    const day = 86_400_000 / inject('timeScale');
    expect(order[3]! - order[0]!).toBeGreaterThanOrEqual(80 * day);
    expect(order[1]! - order[0]!).toBeGreaterThanOrEqual(6 * day);

    const executionArn = await waitFor(
      'the execution to finish',
      async () => {
        const arn = `${inject('lifecycleStateMachineArn').replace(':stateMachine:', ':execution:')}:${leadId}`;
        const description = await sfn().send(new DescribeExecutionCommand({ executionArn: arn }));
        return description.status === 'SUCCEEDED' ? arn : undefined;
      },
      30_000,
    );
    const events = (await sfn().send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
    const entered = events.filter((event) => event.type?.endsWith('StateEntered')).map((event) => event.stateEnteredEventDetails?.name);
    // A follow-up that fired while the test polled adds FollowUp -> StageDecision -> AwaitRepMove;
    // a move that overtakes the workflow saves a wait. bench/lifecycle counts the exact path.
    const followUps = entered.filter((name) => name === 'FollowUp').length;
    expect(entered.length - 3 * followUps).toBeLessThanOrEqual(20);

    const trail = await history(leadId);
    const moves = trail
      .filter((entry) => entry.type === 'stage_changed')
      .map((entry) => `${String(entry.data.from)}->${String(entry.data.to)}`);
    expect(moves).toEqual(['new->qualified', 'qualified->presentation', 'presentation->objection', 'objection->closing', 'closing->won']);
    expect(trail[0]!.type).toBe('captured');
    const sent = trail
      .filter((entry) => entry.type === 'email_sent' && entry.data.recipient === 'prospect')
      .map((entry) => entry.data.template);
    expect(sent.slice(-4)).toEqual(['thank-you', 'retention-check-in', 'satisfaction-survey', 'upsell-referral']);
    const times = trail.map((entry) => entry.at);
    expect([...times].sort()).toEqual(times);
  }, 120_000);

  it('reminds the owner after a day and escalates to the manager after three when nobody moves the lead', async () => {
    const email = uniqueEmail('idle');
    const leadId = await capture(qualifiedLead(email, 'Idle'));
    const qualified = await untilStage(leadId, 'qualified');
    const reminder = await waitFor('the owner reminder', async () =>
      (await mailTo(qualified.owner.email)).find((mail) => mail.subject === 'Reminder: Idle Hopper is waiting in qualified'),
    );
    const escalation = await waitFor('the escalation', async () =>
      (await mailTo('morgan.lee@example.com')).find((mail) => mail.subject.startsWith('Escalation: Idle Hopper')),
    );
    expect(reminder).toBeDefined();
    expect(escalation).toBeDefined();
    const trail = await history(leadId);
    // The owner's owner-assigned email (from the stream, at qualification) is no follow-up.
    const followUps = trail
      .filter((entry) => entry.type === 'email_sent' && entry.data.template !== 'owner-assigned')
      .map((entry) => entry.data.template);
    expect(followUps.slice(0, 2)).toEqual(['owner-reminder', 'manager-escalation']);
  }, 90_000);

  it('answers an invalid move with 409 naming the allowed stages, and changes nothing', async () => {
    const leadId = await capture(qualifiedLead(uniqueEmail('invalid'), 'Ivy'));
    await untilStage(leadId, 'qualified');
    const response = await move(leadId, { stage: 'won', dealValue: 10 });
    expect(response.status).toBe(409);
    const { error } = await json(response);
    expect(error.code).toBe('invalid_stage_move');
    expect(error.message).toContain('allowed: presentation, nurturing, disqualified, lost');
    expect((await lead(leadId)).stage).toBe('qualified');
  });

  it('gives a repeated move one effect', async () => {
    const leadId = await capture(qualifiedLead(uniqueEmail('twice'), 'Tom'));
    await untilStage(leadId, 'qualified');
    const key = `move-${leadId}`;
    const [first, second] = [
      await move(leadId, { stage: 'presentation' }, { 'idempotency-key': key }),
      await move(leadId, { stage: 'presentation' }, { 'idempotency-key': key }),
    ];
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(await json(second)).toEqual(await json(first));
    const withoutKey = await move(leadId, { stage: 'presentation' });
    expect(withoutKey.status).toBe(409);
    const moves = (await history(leadId)).filter((entry) => entry.type === 'stage_changed' && entry.data.to === 'presentation');
    expect(moves).toHaveLength(1);
  });

  it('rejects bad move bodies with 400 and changes nothing', async () => {
    const leadId = await capture(qualifiedLead(uniqueEmail('badmove'), 'Bea'));
    await untilStage(leadId, 'qualified');
    for (const body of [
      { stage: 'sideways' },
      { stage: 'lost' },
      { stage: 'presentation', dealValue: -5 },
      { stage: 'presentation', extra: true },
    ]) {
      expect((await move(leadId, body)).status).toBe(400);
    }
    expect((await lead(leadId)).stage).toBe('qualified');
  });

  it('retries a failing email task and then records the failure on the lead', async () => {
    const email = uniqueEmail('bounce');
    // SES fails every send to this address from now on.
    const armed = await fetch(`${inject('controlUrl')}/faults/ses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recipient: email, failures: 100 }),
    });
    expect(armed.status).toBe(204);
    const leadId = await capture(qualifiedLead(email, 'Faye'));
    await untilStage(leadId, 'qualified');
    for (const stage of ['presentation', 'closing']) expect((await move(leadId, { stage })).status).toBe(200);
    expect((await move(leadId, { stage: 'won', dealValue: 5000 })).status).toBe(200);

    const failure = await waitFor('the recorded failure', async () =>
      (await history(leadId)).find((entry) => entry.type === 'workflow_step_failed' && entry.data.state === 'SendThankYou'),
    );
    expect(failure.data.error).toBe('EmailSendFailedError');
    const attempts = await json(fetch(`${inject('controlUrl')}/faults/ses?recipient=${encodeURIComponent(email)}`));
    expect(attempts.failed).toBeGreaterThanOrEqual(4);
    expect((await history(leadId)).some((entry) => entry.type === 'email_sent' && entry.data.template === 'thank-you')).toBe(false);

    // Parked, not dead: the lead says why, and the execution waits for an operator.
    const parked = await waitFor('the lead flagged', async () => {
      const current = await lead(leadId);
      return current.workflow ? current : undefined;
    });
    expect(parked.workflow).toMatchObject({ status: 'needs_attention', state: 'SendThankYou', error: 'EmailSendFailedError' });
    const executionArn = `${inject('lifecycleStateMachineArn').replace(':stateMachine:', ':execution:')}:${leadId}`;
    expect((await sfn().send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');

    // SES works again: the operator's retry resumes it and the thank-you goes out, once.
    await fetch(`${inject('controlUrl')}/faults/ses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recipient: email, failures: 0 }),
    });
    const retried = await admin('POST', `/v1/leads/${leadId}/workflow/retry`);
    expect(retried.status).toBe(202);
    expect(await json(retried)).toEqual({ leadId, action: 'resumed', executionName: leadId });
    await waitFor('the thank-you after the retry', async () =>
      (await history(leadId)).find((entry) => entry.type === 'email_sent' && entry.data.template === 'thank-you'),
    );
    expect((await lead(leadId)).workflow).toBeUndefined();
    expect((await mailTo(email)).filter((mail) => mail.subject.toLowerCase().includes('thank'))).toHaveLength(1);
    // Running and waiting for nothing but time: nothing to retry.
    const again = await admin('POST', `/v1/leads/${leadId}/workflow/retry`);
    expect(again.status).toBe(409);
    expect((await json(again)).error.code).toBe('workflow_running');
  }, 120_000);

  it('gives a lead whose execution ended a successor that picks it up at its stage, history kept', async () => {
    const email = uniqueEmail('ended');
    const leadId = await capture(qualifiedLead(email, 'Ines'));
    await untilStage(leadId, 'qualified');
    const executionArn = `${inject('lifecycleStateMachineArn').replace(':stateMachine:', ':execution:')}:${leadId}`;
    await waitFor('the rep wait', async () => ((await statesEntered(executionArn)).includes('AwaitRepMove') ? true : undefined));
    const before = (await history(leadId)).length;
    // Killed from outside (a bad deploy, a console click): the lead would otherwise wait forever.
    await sfn().send(new StopExecutionCommand({ executionArn, error: 'OperatorStopped' }));

    const retried = await admin('POST', `/v1/leads/${leadId}/workflow/retry`);
    expect(retried.status).toBe(202);
    expect(await json(retried)).toEqual({ leadId, action: 'restarted', executionName: `${leadId}-g2` });
    const successorArn = `${executionArn}-g2`;
    expect((await sfn().send(new DescribeExecutionCommand({ executionArn: successorArn }))).status).toBe('RUNNING');
    // The successor waits for the rep in qualified, and a move resumes it.
    expect((await move(leadId, { stage: 'presentation' })).status).toBe(200);
    // Route (the lead is qualified: planned, not routed again), a wait in qualified, then one in presentation.
    await waitFor('the successor to follow the move', async () => {
      const entered = await statesEntered(successorArn);
      return entered.filter((name) => name === 'AwaitRepMove').length >= 2 ? entered : undefined;
    });
    const entries = await history(leadId);
    expect(entries.length).toBeGreaterThan(before);
    expect(entries.find((entry) => entry.type === 'workflow_retried')?.data).toMatchObject({
      action: 'restarted',
      previousStatus: 'ABORTED',
    });
    expect(entries.some((entry) => entry.type === 'lead_captured' || entry.type === 'stage_changed')).toBe(true);
  }, 90_000);
});
