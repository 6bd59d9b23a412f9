import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { readMailbox } from '../../local/ses';
import { admin, aggregateNow, captureLead, documents, eventually, json, qualifiedLead, uniqueEmail } from './helpers';

/**
 * GDPR end to end in the local cloud: a lead with a history (stage moves, emails, engagement) is
 * exported whole, then erased: nothing personal stays in the table, its workflow is stopped, the
 * funnel figures do not move, its address is never mailed again, and the audit log says who did
 * both without naming the person.
 */

const tag = randomBytes(4).toString('hex');
const email = uniqueEmail(`gdpr-${tag}`);
const firstName = `Zelda${tag}`;
const lastName = `Quill${tag}`;
const phone = `+1 555 01${String(Number.parseInt(tag, 16) % 100_000).padStart(5, '0')}`;
const source = `gdpr-${tag}`;
/** Values only this person gave: none may remain anywhere in the table after the erasure. */
const personal = [
  email,
  firstName,
  lastName,
  phone,
  `colour-${tag}`,
  `ref-${tag}`,
  `landing-${tag}`,
  `note-${tag}`,
  `message-${tag}`,
  `click-${tag}`,
];

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000) => eventually(what, probe, timeoutMs);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sfn = () =>
  new SFNClient({ endpoint: inject('sfnEndpoint'), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

async function mailTo(address: string) {
  return (await readMailbox(inject('mailboxUrl'))).filter((mail) => mail.to.includes(address));
}

async function historyOf(leadId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  return (await json(admin('GET', `/v1/leads/${leadId}/history?limit=500`))).entries;
}

async function untilStage(leadId: string, stage: string) {
  return waitFor(`stage ${stage}`, async () => ((await json(admin('GET', `/v1/leads/${leadId}`))).stage === stage ? true : undefined));
}

async function move(leadId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(`${inject('apiUrl')}/v1/leads/${leadId}/stage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${inject('adminKey')}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

/** The KPIs of this test's own source (other files' leads share the table and the days). */
async function sourceKpis() {
  const writtenBefore = new Date().toISOString();
  // Events younger than the local aggregator's 2 s consistency lag are not folded yet.
  await sleep(2_500);
  // Jobs until one has folded past these events (a job already running may have started before them).
  await waitFor('an aggregation past these events', async () => {
    const job = await aggregateNow();
    expect(job.status).toBe('succeeded');
    return job.watermark! >= writtenBefore ? true : undefined;
  });
  const report = await json(admin('GET', '/v1/metrics?groupBy=source'));
  const group = report.groups.find((candidate: { group: string }) => candidate.group === source);
  expect(group, `a metrics group for ${source}`).toBeDefined();
  return group.kpis;
}

/** Every item of the table (a test may scan; the platform never does). */
async function wholeTable(): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents().send(
      new ScanCommand({ TableName: inject('tableName'), ExclusiveStartKey: startKey, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

function executionArn(name: string): string {
  return `${inject('lifecycleStateMachineArn').replace(':stateMachine:', ':execution:')}:${name}`;
}

describe('GDPR: export and erasure', () => {
  it('exports everything held about a lead, then erases it without moving the funnel figures or mailing it again', async () => {
    // Start both functions now: the erasure must come within the aggregator's lag after the last moves.
    const nobody = `ld_${'W'.repeat(22)}`;
    expect((await admin('GET', `/v1/leads/${nobody}/export`)).status).toBe(404);
    expect((await admin('DELETE', `/v1/leads/${nobody}`)).status).toBe(404);
    // A qualified lead with personal data in every place a form can put it.
    // Public capture answers only a submission id; the helper finds the lead it ended on.
    const { leadId, response: captured } = await captureLead(
      'default',
      {
        ...qualifiedLead(email, firstName),
        lastName,
        phone,
        message: `Our pipeline reporting is manual, message-${tag}`,
        favouriteColour: `colour-${tag}`,
        consent: 'true',
        utm_source: source,
        utm_campaign: `spring-${tag}`,
        referrer: `https://ref-${tag}.example.net/`,
        landingPage: `https://www.example.com/pricing?from=landing-${tag}`,
      },
      { headers: { 'idempotency-key': `capture-${tag}` } },
    );
    expect(captured.status).toBe(202);
    await untilStage(leadId, 'qualified');

    // History: a move, the prospect check-in it leads to (3 scaled days idle), an engagement event.
    await move(leadId, { stage: 'presentation' }, { 'idempotency-key': `move-${tag}` });
    await waitFor('the prospect check-in', async () =>
      (await mailTo(email)).some((mail) => mail.subject === `Any questions, ${firstName}?`) ? true : undefined,
    );
    const engagement = await admin('POST', `/v1/leads/${leadId}/events`, {
      type: 'email_click',
      properties: { url: `https://www.example.com/?c=click-${tag}` },
    });
    expect(engagement.status).toBe(202);
    const folded = await sourceKpis();
    expect(folded).toMatchObject({ leads: 1, qualified: 1 });

    // The export: everything, as one attachment.
    const exported = await admin('GET', `/v1/leads/${leadId}/export`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toBe(`attachment; filename="${leadId}.json"`);
    const document = await json(exported);
    expect(document.lead).toMatchObject({ leadId, email, profile: { firstName, lastName, phone }, consent: true });
    expect(document.lead.customFields).toMatchObject({ favouriteColour: `colour-${tag}` });
    // The whole trail (a timer may add to it after the export was taken).
    const trail = await historyOf(leadId);
    expect(trail.slice(0, document.history.length)).toEqual(document.history);
    expect(document.history.filter((entry: { type: string }) => entry.type === 'stage_changed')).toHaveLength(2);
    expect(document.engagementEvents).toEqual([
      expect.objectContaining({ type: 'email_click', properties: { url: expect.stringContaining(`click-${tag}`) } }),
    ]);
    expect(document.emails).toEqual(
      expect.arrayContaining([expect.objectContaining({ template: 'prospect-check-in', recipient: 'prospect', status: 'sent' })]),
    );
    // What consent was given to, and how: the form's consent text, ticked on the form.
    expect(document.consent).toEqual({
      granted: true,
      records: [expect.objectContaining({ formId: 'default', method: 'form', text: expect.any(String), at: expect.any(String) })],
    });
    // The stage move's key. (The public capture's key named its submission, whose data was dropped once folded into the lead.)
    expect(document.idempotencyRecords).toBe(1);
    expect(document.suppressed).toBe(false);

    // Events the aggregator has not folded when the erasure comes (written within its lag).
    await move(leadId, { stage: 'objection', objection: { type: 'price', note: `note-${tag}` } });
    await move(leadId, { stage: 'closing', reason: 'ROI accepted' });

    // The erasure.
    const erased = await admin('DELETE', `/v1/leads/${leadId}`);
    expect(erased.status).toBe(200);
    // From here on the address is suppressed: not one more email reaches it.
    const mailsBefore = (await mailTo(email)).length;
    const { erased: counts } = await json(erased);
    expect(counts.historyAnonymized, 'the last moves, within the aggregator lag, stay as anonymous events').toBeGreaterThanOrEqual(1);
    expect(counts.historyDeleted, 'the folded entries go').toBeGreaterThanOrEqual(3);
    expect(counts).toMatchObject({ idempotencyRecords: 1, workflowWaits: 1, executionsStopped: 1 });

    // Gone for the API, and a second erasure finds nothing: 404.
    for (const path of [`/v1/leads/${leadId}`, `/v1/leads/${leadId}/history`, `/v1/leads/${leadId}/export`]) {
      expect((await admin('GET', path)).status, path).toBe(404);
    }
    expect((await admin('DELETE', `/v1/leads/${leadId}`)).status).toBe(404);

    // Nothing personal anywhere in the table.
    const table = await wholeTable();
    for (const item of table) {
      const text = JSON.stringify(item).toLowerCase();
      for (const value of personal) expect(text, `${String(item.pk)} ${String(item.sk)}`).not.toContain(value.toLowerCase());
    }
    expect(table.filter((item) => String(item.pk).startsWith('IDEMPOTENCY#') && JSON.stringify(item).includes(leadId))).toEqual([]);

    // Its workflow is stopped; its timers (a reminder every 14 scaled days) never fire again.
    expect((await sfn().send(new DescribeExecutionCommand({ executionArn: executionArn(leadId) }))).status).toBe('ABORTED');

    // The funnel figures: what was folded stays, what was not is still counted once.
    const after = await sourceKpis();
    expect(after.leads).toBe(folded.leads);
    expect(after.qualified).toBe(folded.qualified);
    const reached = (kpis: { funnel: Array<{ stage: string; reached: number }> }) =>
      Object.fromEntries(kpis.funnel.map((stage) => [stage.stage, stage.reached]));
    expect(reached(after)).toMatchObject({ new: 1, qualified: 1, presentation: 1, objection: 1, closing: 1 });
    expect(after.email.clicked).toBe(folded.email.clicked);
    expect(after.email.sent).toBeGreaterThanOrEqual(folded.email.sent);
    expect((await mailTo(email)).length).toBe(mailsBefore);

    // The audit log: both actions, who did them, and nothing of the person.
    const today = new Date().toISOString().slice(0, 10);
    const { Items: audit = [] } = await documents().send(
      new QueryCommand({
        TableName: inject('tableName'),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `AUDIT#${today}` },
        ConsistentRead: true,
      }),
    );
    const ours = audit.filter((record) => record.leadId === leadId);
    expect(ours.map((record) => record.action).sort()).toEqual(['lead_erased', 'lead_exported']);
    for (const record of ours) {
      expect(record.actor).toBe('api-key:local-admin');
      expect(record.counts).toEqual(expect.any(Object));
      for (const value of personal) expect(JSON.stringify(record).toLowerCase()).not.toContain(value.toLowerCase());
    }
    expect(ours.find((record) => record.action === 'lead_erased')!.counts).toMatchObject({ lead: 1, ...counts });

    // The same address captured again is a new lead with a workflow of its own, but it is never mailed:
    // the prospect check-in is withheld, while its owner's reminder (team mail) still goes out.
    const { leadId: newLeadId } = await captureLead('default', { ...qualifiedLead(email, firstName), utm_source: `${source}-again` });
    await untilStage(newLeadId, 'qualified');
    expect((await historyOf(newLeadId)).map((entry) => entry.type)).not.toContain('email_suppressed');
    await move(newLeadId, { stage: 'presentation' });
    // Both follow from timers of their own, in either order: wait for the two.
    const withheld = await waitFor("the withheld check-in and the owner's reminder", async () => {
      const entries = await historyOf(newLeadId);
      const suppressed = entries.some((entry) => entry.type === 'email_suppressed');
      const reminded = entries.some((entry) => entry.type === 'email_sent' && entry.data.template === 'owner-reminder');
      return suppressed && reminded ? entries : undefined;
    });
    expect(withheld.find((entry) => entry.type === 'email_suppressed')!.data).toMatchObject({
      template: 'prospect-check-in',
      recipient: 'prospect',
    });
    expect(withheld.filter((entry) => entry.type === 'email_sent').map((entry) => entry.data.recipient)).not.toContain('prospect');
    expect(withheld.some((entry) => entry.type === 'email_sent' && entry.data.template === 'owner-reminder')).toBe(true);
    expect((await mailTo(email)).length).toBe(mailsBefore);
    expect((await json(admin('GET', `/v1/leads/${newLeadId}/export`))).suppressed).toBe(true);

    expect((await admin('DELETE', `/v1/leads/${newLeadId}`)).status).toBe(200);
  }, 150_000);

  it('answers 404 for an unknown lead, and 403 to an erasure without the admin scope', async () => {
    const unknown = `ld_${'Z'.repeat(22)}`;
    expect((await admin('GET', `/v1/leads/${unknown}/export`)).status).toBe(404);
    expect((await admin('DELETE', `/v1/leads/${unknown}`)).status).toBe(404);
    expect((await admin('DELETE', '/v1/leads/not-a-lead-id')).status).toBe(404);

    const issued = await json(admin('POST', '/v1/api-keys', { name: `gdpr-writer-${tag}`, scopes: ['leads:read', 'leads:write'] }));
    const captured = await captureLead('default', { email: uniqueEmail('gdpr-scope') });
    const forbidden = await admin('DELETE', `/v1/leads/${captured.leadId}`, undefined, issued.key);
    expect(forbidden.status).toBe(403);
    expect((await admin('GET', `/v1/leads/${captured.leadId}`)).status).toBe(200);
  });
});
