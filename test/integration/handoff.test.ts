import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { readMailbox, type CapturedEmail } from '../../local/ses';
import { admin, documents, eventually, json, keyed, postJson, qualifiedLead, uniqueEmail } from './helpers';

/**
 * The marketing-to-sales handoff in the local cloud: an owner on every entry to qualified, the
 * owner told once, nurtured leads handed to sales when their score qualifies, and moves whose
 * workflow resume follows from the stored move (retried by the stream), never from the request.
 */

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000) => eventually(what, probe, timeoutMs);
const configuredOwners = ['sam.rivera@example.com', 'alex.chen@example.com'];

async function lead(leadId: string) {
  return json(admin('GET', `/v1/leads/${leadId}`));
}

async function history(leadId: string): Promise<Array<{ type: string; actor: string; data: Record<string, unknown> }>> {
  return (await json(admin('GET', `/v1/leads/${leadId}/history?limit=500`))).entries;
}

async function capture(body: Record<string, unknown>): Promise<string> {
  const response = await postJson('default', body, keyed());
  expect(response.status).toBe(202);
  return (await json(response)).leadId;
}

async function untilStage(leadId: string, stage: string, timeoutMs?: number) {
  return waitFor(
    `stage ${stage}`,
    async () => {
      const current = await lead(leadId);
      return current.stage === stage ? current : undefined;
    },
    timeoutMs,
  );
}

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${inject('apiUrl')}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${inject('adminKey')}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The owner-assigned emails about the lead named `leadName`. */
async function ownerEmails(leadName: string): Promise<CapturedEmail[]> {
  return (await readMailbox(inject('mailboxUrl'))).filter(
    (mail) => mail.subject === `New lead for you: ${leadName} (${leadName.split(' ')[0]!} Systems)`,
  );
}

async function counter(): Promise<number> {
  const { Item } = await documents().send(
    new GetCommand({ TableName: inject('tableName'), Key: { pk: 'COUNTER#owners', sk: 'COUNTER' }, ConsistentRead: true }),
  );
  return Number(Item?.assigned ?? 0);
}

/** A lead the default rules nurture (fit 70, total 49): two replies lift it over the qualify decision. */
function nurturedLead(email: string, firstName: string): Record<string, string> {
  const { timeline: _timeline, message: _message, ...fields } = qualifiedLead(email, firstName);
  return fields;
}

/** The workflow resumed at `stage`: its wait is registered for that stage. */
async function waitingIn(leadId: string, stage: string) {
  return waitFor(`the workflow waiting in ${stage}`, async () => {
    const { Item } = await documents().send(
      new GetCommand({ TableName: inject('tableName'), Key: { pk: `LEAD#${leadId}`, sk: 'WORKFLOW' }, ConsistentRead: true }),
    );
    return Item?.stage === stage ? Item : undefined;
  });
}

describe('handoff in the local cloud', () => {
  it('gives a lead moved by hand from nurturing to qualified an owner, and emails that owner', async () => {
    const leadId = await capture(nurturedLead(uniqueEmail('hand'), 'Hannah'));
    await untilStage(leadId, 'nurturing');
    await waitingIn(leadId, 'nurturing');

    const response = await post(`/v1/leads/${leadId}/stage`, { stage: 'qualified', reason: 'called us' });
    expect(response.status).toBe(200);
    const moved = await lead(leadId);
    expect(moved.stage).toBe('qualified');
    expect(configuredOwners).toContain(moved.owner?.email);
    const move = (await history(leadId)).find((entry) => entry.type === 'stage_changed' && entry.data.to === 'qualified');
    expect(move?.data.owner).toBe(moved.owner.email);

    const [mail] = await waitFor('the owner-assigned email', async () => {
      const mails = await ownerEmails('Hannah Hopper');
      return mails.length > 0 ? mails : undefined;
    });
    expect(mail!.to).toEqual([moved.owner.email]);
    expect(mail!.text).toContain(`Score ${String(moved.score.total)} (grade ${String(moved.score.grade)})`);
    expect(mail!.text).toContain('Playbook:');
    // The workflow follows the stored move to qualified.
    await waitingIn(leadId, 'qualified');
  }, 120_000);

  it('assigns 20 concurrently qualifying leads round-robin, advancing the counter exactly 20', async () => {
    const before = await counter();
    const leadIds = await Promise.all(
      Array.from({ length: 20 }, (_, index) => capture(qualifiedLead(uniqueEmail(`rr${String(index)}`), `Robin${String(index)}`))),
    );
    const owned = await Promise.all(leadIds.map((leadId) => untilStage(leadId, 'qualified', 90_000)));
    const counts = new Map<string, number>();
    for (const item of owned) counts.set(item.owner.email, (counts.get(item.owner.email) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...configuredOwners].sort());
    const figures = [...counts.values()];
    expect(Math.max(...figures) - Math.min(...figures)).toBeLessThanOrEqual(1);
    expect((await counter()) - before).toBe(20);
  }, 150_000);

  it('hands a nurtured lead whose engagement lifts its score over the qualify decision to sales, with an owner told', async () => {
    const leadId = await capture(nurturedLead(uniqueEmail('mql'), 'Nora'));
    await untilStage(leadId, 'nurturing');
    expect((await post(`/v1/leads/${leadId}/events`, { type: 'reply' })).status).toBe(202);
    expect((await lead(leadId)).stage).toBe('nurturing');
    expect((await post(`/v1/leads/${leadId}/events`, { type: 'reply' })).status).toBe(202);

    const qualified = await untilStage(leadId, 'qualified');
    expect(configuredOwners).toContain(qualified.owner?.email);
    const handoff = (await history(leadId)).find((entry) => entry.type === 'stage_changed' && entry.data.to === 'qualified');
    expect(handoff).toMatchObject({ actor: 'handoff', data: { from: 'nurturing', owner: qualified.owner.email } });
    expect(String(handoff!.data.reason)).toMatch(/^score [\d.]+ \(grade [A-D]\) meets the qualify decision under rules /);
    await waitFor('the owner-assigned email', async () => ((await ownerEmails('Nora Hopper')).length > 0 ? true : undefined));
    await waitingIn(leadId, 'qualified');
  }, 120_000);

  it('reassigns a lead to another configured owner, emailing the new owner once even when the request is retried', async () => {
    const leadId = await capture(qualifiedLead(uniqueEmail('reassign'), 'Rita'));
    const qualified = await untilStage(leadId, 'qualified');
    const other = configuredOwners.find((email) => email !== qualified.owner.email)!;

    const key = { 'idempotency-key': `reassign-${leadId}` };
    const first = await post(`/v1/leads/${leadId}/owner`, { ownerEmail: other }, key);
    expect(first.status).toBe(200);
    expect(await json(first)).toMatchObject({ leadId, owner: { email: other }, stage: 'qualified' });
    const again = await post(`/v1/leads/${leadId}/owner`, { ownerEmail: other }, key);
    expect(again.status).toBe(200);
    expect((await lead(leadId)).owner.email).toBe(other);
    const changes = (await history(leadId)).filter((entry) => entry.type === 'owner_changed');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ data: { from: qualified.owner.email, to: other } });
    expect(changes[0]!.actor).toMatch(/^api-key:/);

    await waitFor('the new owner email', async () =>
      (await ownerEmails('Rita Hopper')).some((mail) => mail.to.includes(other)) ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await ownerEmails('Rita Hopper')).filter((mail) => mail.to.includes(other))).toHaveLength(1);

    const unknown = await post(`/v1/leads/${leadId}/owner`, { ownerEmail: 'stranger@example.com' });
    expect(unknown.status).toBe(422);
    expect((await json(unknown)).error.message).toContain('not one of the configured owners');
    expect((await post(`/v1/leads/${leadId}/owner`, { owner: other })).status).toBe(400);
    expect((await post(`/v1/leads/${leadId}/owner`, 'not json')).status).toBe(400);
    expect((await post('/v1/leads/ld_0000000000000000000000/owner', { ownerEmail: other })).status).toBe(404);
    expect((await lead(leadId)).owner.email).toBe(other);
  }, 120_000);

  it('answers a move 200 when its resume fails, and the stream retries the resume until the workflow is in the new stage', async () => {
    // A nurturing wait times out after 30 scaled days (3 s): long enough for the retries to be the stream's.
    const leadId = await capture(nurturedLead(uniqueEmail('atomic'), 'Atlas'));
    await untilStage(leadId, 'nurturing');
    await waitingIn(leadId, 'nurturing');
    const control = inject('controlUrl');
    const failed = async () => Number((await json(fetch(`${control}/faults/stepfunctions`))).failed);
    const failedBefore = await failed();
    // The SDK tries a throttled call 3 times: 6 faults fail two deliveries of the stored move.
    expect((await fetch(`${control}/faults/stepfunctions`, { method: 'POST', body: JSON.stringify({ failures: 6 }) })).status).toBe(204);
    try {
      const response = await post(`/v1/leads/${leadId}/stage`, { stage: 'qualified' });
      expect(response.status).toBe(200);
      await waitingIn(leadId, 'qualified');
      // At least the first delivery of the stored move failed to resume it (the rest may race the
      // nurture timer, whose follow-up also finds the new stage).
      expect((await failed()) - failedBefore).toBeGreaterThanOrEqual(3);
    } finally {
      await fetch(`${control}/faults/stepfunctions`, { method: 'POST', body: JSON.stringify({ failures: 0 }) });
    }
  }, 120_000);
});
