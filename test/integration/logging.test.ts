import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { readMailbox } from '../../local/ses';
import { admin, eventually, json, postForm, postJson, qualifiedLead, keyed } from './helpers';

/** What the functions wrote, as the local cloud collected it: `[<function>] <line>`. */
function functionLogLines(): Array<{ fn: string; line: string; entry?: Record<string, unknown> }> {
  return readFileSync(inject('cloudLogFile'), 'utf8')
    .split('\n')
    .flatMap((raw) => {
      const match = /^\[([^\]]+)\] (.*)$/.exec(raw);
      if (!match) return [];
      const [, fn = '', line = ''] = match;
      let entry: Record<string, unknown> | undefined;
      try {
        entry = JSON.parse(line);
      } catch {
        entry = undefined;
      }
      return [{ fn, line, entry }];
    });
}

/** Personal data as leads submit it: each value unique to this run, so a hit can only come from here. */
function person(tag: string) {
  const id = randomUUID().slice(0, 8);
  return {
    ...qualifiedLead(`pii-${tag}-${id}@example.com`, `Zebulon${id}`),
    email: `pii-${tag}-${id}@example.com`,
    firstName: `Zebulon${id}`,
    lastName: `Quixote${id}`,
    company: `Marmoset ${id} Holdings`,
    phone: `+1 555 01${String(parseInt(id.slice(0, 4), 16)).padStart(5, '0')}`,
    message: `Secret pipeline plans of ${id}`,
  };
}

describe('function logs', () => {
  it('carry the request id, the lead id and the execution name, count business events, and never the personal data that was submitted', async () => {
    const qualified = person('qualified');
    const nurtured = person('nurtured');
    const invalid = { ...person('invalid'), phone: 'call me maybe' };
    const spam = { ...person('spam'), _gotcha: 'filled' };

    const captured = await postJson('default', qualified, keyed());
    expect(captured.status).toBe(202);
    const { leadId } = await json(captured);
    const form = new URLSearchParams({
      email: nurtured.email,
      firstName: nurtured.firstName,
      phone: nurtured.phone,
      message: nurtured.message,
    });
    expect((await postForm('default', form.toString())).status).toBe(202);
    expect((await postJson('default', invalid)).status).toBe(400);
    expect((await postJson('default', spam)).status).toBe(202);
    expect((await postJson('default', { ...qualified, firstName: `${qualified.firstName}Again` })).status).toBe(202);
    expect((await admin('POST', `/v1/leads/${leadId}/events`, { type: 'email_click', properties: { note: qualified.email } })).status).toBe(
      202,
    );

    // Through the workflow to a win: routing, rep moves, the thank-you email.
    await eventually(
      'routing',
      async () => ((await json(admin('GET', `/v1/leads/${leadId}`))).stage === 'qualified' ? true : undefined),
      45_000,
    );
    for (const body of [{ stage: 'presentation' }, { stage: 'closing' }, { stage: 'won', dealValue: 5000 }]) {
      expect((await admin('POST', `/v1/leads/${leadId}/stage`, body)).status).toBe(200);
    }
    await eventually('the thank-you email', async () => {
      const mails = await readMailbox(inject('mailboxUrl'));
      return mails.some((mail) => mail.to.includes(qualified.email)) ? true : undefined;
    });
    await eventually('the email log line', () =>
      Promise.resolve(
        functionLogLines().some((line) => line.entry?.message === 'email sent' && line.entry.leadId === leadId) ? true : undefined,
      ),
    );

    const lines = functionLogLines();
    const structured = lines.filter((line) => line.entry);
    expect(structured.length).toBeGreaterThan(0);

    // Correlation: the capture's line names the lead and the request; a workflow step's names its execution.
    const captureLine = structured.find((line) => line.entry?.message === 'lead captured' && line.entry.leadId === leadId);
    expect(captureLine?.entry).toMatchObject({ level: 'INFO', service: 'leadflow', function_request_id: expect.any(String) });
    const workflowLine = structured.find((line) => line.entry?.leadId === leadId && line.entry?.executionName === leadId);
    expect(workflowLine, 'a workflow step logs with the execution name').toBeDefined();

    // Metrics: CloudWatch embedded metric format, one metric per business event.
    const metricNames = new Set(
      structured.flatMap((line) => {
        const aws = line.entry?._aws as { CloudWatchMetrics?: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> } | undefined;
        return (aws?.CloudWatchMetrics ?? [])
          .filter((m) => m.Namespace === 'Leadflow')
          .flatMap((m) => m.Metrics.map((metric) => metric.Name));
      }),
    );
    for (const name of ['LeadsCaptured', 'DuplicateSubmissions', 'SpamSubmissions', 'StageMoves', 'EmailsSent', 'EngagementEvents']) {
      expect(metricNames, name).toContain(name);
    }

    // No personal data: not what this test submitted, and no email address of any test in the run.
    const everything = lines.map((line) => line.line).join('\n');
    for (const who of [qualified, nurtured, invalid, spam]) {
      for (const value of [who.email, who.firstName, who.lastName, who.company, who.phone, who.message]) {
        expect(everything.includes(value), `the logs hold ${value}`).toBe(false);
      }
    }
    expect(everything.match(/[\w.+-]+@[\w-]+\.[\w.-]+/g) ?? []).toEqual([]);
  });
});
