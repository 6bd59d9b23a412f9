import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { readMailbox } from '../../local/ses';
import { largeLifecycleConfig } from '../fixtures/lifecycle-team';
import { documents, eventually, json, keyed, postJson, qualifiedLead, uniqueEmail } from './helpers';

/**
 * The lifecycle configuration edited through the admin API, in the running stack: a 10-owner
 * team with playbooks of 5 lines per stage (over twice what a function's environment could hold)
 * is stored, new qualified leads get owners from it, and the owner reminder carries its playbook.
 */

const tag = randomBytes(4).toString('hex');
const team = largeLifecycleConfig(tag);

function config(method: 'GET' | 'PUT' | 'DELETE', options: { ifMatch?: string; body?: unknown; key?: string } = {}) {
  return fetch(`${inject('apiUrl')}/v1/lifecycle-config`, {
    method,
    headers: {
      authorization: `Bearer ${options.key ?? inject('adminKey')}`,
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...(options.ifMatch !== undefined && { 'if-match': options.ifMatch }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

/**
 * Functions cache the configuration for 30 s (an edit applies within that time); a cold start
 * reads it at once, so the test need not wait them out.
 */
async function coldStartFunctions() {
  const response = await fetch(`${inject('controlUrl')}/functions/recycle`, { method: 'POST' });
  expect(response.status).toBe(200);
}

afterAll(async () => {
  // Back to the deployed team for the files that run after this one.
  const current = await config('GET');
  const etag = current.headers.get('etag') ?? '"0"';
  expect((await config('DELETE', { ifMatch: etag })).status).toBe(200);
  await coldStartFunctions();
});

describe('the lifecycle configuration, edited without a deploy', () => {
  it('stores a 10-owner team through the admin route; new qualified leads get its owners, and reminders its playbook', async () => {
    const before = await config('GET');
    expect(before.status).toBe(200);
    const deployed = (await json(before)) as { source: string; version: number; config: { owners: unknown[] } };
    expect(deployed.source).toBe('deployed');
    expect(deployed.config.owners.length).toBeGreaterThan(0);
    const etag = before.headers.get('etag')!;
    expect(etag).toBe(`"${String(deployed.version)}"`);

    const put = await config('PUT', { ifMatch: etag, body: team });
    const stored = await json(put.clone());
    expect(put.status, JSON.stringify(stored)).toBe(200);
    expect(stored).toMatchObject({ source: 'stored', version: deployed.version + 1, updatedBy: expect.stringMatching(/^api-key:/) });
    expect(stored.config.owners).toEqual(team.owners);
    expect(put.headers.get('etag')).toBe(`"${String(stored.version)}"`);

    // A client that read the old version cannot overwrite the edit; a bad document is refused naming the field.
    const stale = await config('PUT', { ifMatch: etag, body: team });
    expect(stale.status).toBe(412);
    expect((await json(stale)).error.code).toBe('lifecycle_config_changed');
    const invalid = await config('PUT', {
      ifMatch: put.headers.get('etag')!,
      body: { ...team, manager: { name: 'Morgan', email: 'not-an-address' } },
    });
    expect(invalid.status).toBe(400);
    expect((await json(invalid)).error.details.map((detail: { path: string }) => detail.path)).toContain('manager.email');
    expect((await json(config('GET'))).version).toBe(stored.version);

    // The edit leaves a change record beside the configuration.
    const { Items: changes = [] } = await documents().send(
      new QueryCommand({
        TableName: inject('tableName'),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :change)',
        ExpressionAttributeValues: { ':pk': 'CONFIG#lifecycle', ':change': 'CHANGE#' },
        ConsistentRead: true,
      }),
    );
    expect(changes.at(-1)).toMatchObject({ version: stored.version, action: 'put', by: stored.updatedBy });

    await coldStartFunctions();
    const owners = new Set(team.owners.map((owner) => owner.email));
    const leads = await Promise.all(
      ['Ada', 'Grace', 'Hedy'].map(async (firstName) => {
        const email = uniqueEmail(`config-${firstName.toLowerCase()}`);
        const response = await postJson('default', qualifiedLead(email, firstName), keyed());
        expect(response.status).toBe(202);
        const { leadId } = (await response.json()) as { leadId: string };
        return { leadId, firstName };
      }),
    );
    const qualified = await Promise.all(
      leads.map(({ leadId }) =>
        eventually(
          `lead ${leadId} qualified`,
          async () => {
            const lead = await json(fetch(`${inject('apiUrl')}/v1/leads/${leadId}`, { headers: keyed() }));
            return lead.stage === 'qualified' ? lead : undefined;
          },
          45_000,
        ),
      ),
    );
    for (const lead of qualified) expect(owners.has(lead.owner.email), lead.owner.email).toBe(true);

    // The owner reminder (a day in qualified, a fraction of a second at the test's time scale) carries the stored playbook.
    const { firstName } = leads[0]!;
    const owner = qualified[0].owner as { name: string; email: string };
    const reminder = await eventually(
      'the owner reminder',
      async () =>
        (await readMailbox(inject('mailboxUrl'))).find(
          (mail) => mail.to.includes(owner.email) && mail.subject === `Reminder: ${firstName} Hopper is waiting in qualified`,
        ),
      45_000,
    );
    expect(reminder.text).toContain(`Hi ${owner.name}`);
    for (const line of team.playbooks.qualified!) expect(reminder.text).toContain(line);
  }, 150_000);
});
