import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { documents, eventually, findLead, json, admin, postJson, uniqueEmail } from './helpers';

/**
 * An item under a lead's key that holds no lead (written by hand, or by a broken migration) can
 * never be read by the table stream's consumers. Retried, it would hold up every record after it in
 * its shard for as long as the stream keeps it (a day on AWS): it is skipped, and the submissions
 * behind it are folded, their leads get their history and workflows, as ever.
 */
describe('a lead record that holds no lead', () => {
  it('is skipped by the stream consumers; the captures after it are folded and start their workflows', async () => {
    const run = randomUUID().slice(0, 8);
    await documents().send(
      new PutCommand({
        TableName: inject('tableName'),
        Item: { pk: `LEAD#ld_unreadable${run}`, sk: 'LEAD', email: 'not a lead', profile: 'neither' },
      }),
    );
    const emails = Array.from({ length: 5 }, (_, i) => uniqueEmail(`after-unreadable-${i}`));
    for (const email of emails) expect((await postJson('default', { email, firstName: 'Una' })).status).toBe(202);
    for (const email of emails) {
      const lead = await eventually(`the lead of ${email}`, () => findLead(email), 60_000);
      // Its own lead record was processed too: the capture's history entry, and a routed workflow.
      await eventually(
        `${email} routed`,
        async () => {
          const current = await json(admin('GET', `/v1/leads/${lead.leadId}`));
          return current.stage !== 'new' ? current : undefined;
        },
        60_000,
      );
      const history = await json(admin('GET', `/v1/leads/${lead.leadId}/history`));
      expect(history.entries.map((entry: { type: string }) => entry.type)).toContain('captured');
    }
  }, 180_000);
});
