import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { readMailbox } from '../../local/ses';
import { admin, eventually, json, keyed, leadPartition, postJson, qualifiedLead, uniqueEmail } from './helpers';

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) => eventually(what, probe, timeoutMs);

async function history(leadId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  return (await json(admin('GET', `/v1/leads/${leadId}/history?limit=500`))).entries;
}

/** The `email confirmed` log line of a message: how long SES took and how long the confirm took after its answer. */
function confirmedLog(messageId: string): { sesMs: number; confirmMs: number } | undefined {
  for (const raw of readFileSync(inject('cloudLogFile'), 'utf8').split('\n')) {
    const line = /^\[[^\]]+\] (\{.*\})$/.exec(raw)?.[1];
    if (!line?.includes(messageId)) continue;
    const entry = JSON.parse(line) as { message?: string; sesMs?: number; confirmMs?: number };
    if (entry.message === 'email confirmed') return { sesMs: Number(entry.sesMs), confirmMs: Number(entry.confirmMs) };
  }
  return undefined;
}

describe('emails exactly once, as far as SES allows', () => {
  it('delivers a follow-up whose first sends fail exactly once, with one email_sent entry carrying its MessageId', async () => {
    const email = uniqueEmail('once');
    // SES rejects the first two sends to this prospect; the FollowUp step's retries get through.
    const armed = await fetch(`${inject('controlUrl')}/faults/ses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recipient: email, failures: 2 }),
    });
    expect(armed.status).toBe(204);
    const captured = await postJson('default', qualifiedLead(email, 'Olive'), keyed());
    expect(captured.status).toBe(202);
    const { leadId } = (await json(captured)) as { leadId: string };
    await waitFor('the lead to be qualified', async () =>
      (await json(admin('GET', `/v1/leads/${leadId}`))).stage === 'qualified' ? true : undefined,
    );
    const moved = await fetch(`${inject('apiUrl')}/v1/leads/${leadId}/stage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${inject('adminKey')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ stage: 'presentation' }),
    });
    expect(moved.status).toBe(200);

    // Idle in presentation: the follow-up checks in with the prospect.
    const checkIns = async () => (await readMailbox(inject('mailboxUrl'))).filter((mail) => mail.to.includes(email));
    const [delivered] = await waitFor('the check-in', async () => {
      const mails = await checkIns();
      return mails.length > 0 ? mails : undefined;
    });
    const sent = await waitFor('its email_sent entry', async () => {
      const entries = (await history(leadId)).filter((entry) => entry.type === 'email_sent' && entry.data.template === 'prospect-check-in');
      return entries.length > 0 ? entries : undefined;
    });
    // Later follow-ups remind the owner only; give a stray duplicate time to arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    const failed = (await json(fetch(`${inject('controlUrl')}/faults/ses?recipient=${encodeURIComponent(email)}`))) as { failed: number };
    expect(failed.failed).toBe(2);
    expect((await checkIns()).map((mail) => mail.subject)).toEqual(['Any questions, Olive?']);
    expect(sent).toHaveLength(1);
    expect(
      (await history(leadId)).filter((entry) => entry.type === 'email_sent' && entry.data.template === 'prospect-check-in'),
    ).toHaveLength(1);
    expect(sent[0]!.data.messageId).toBe(delivered!.messageId);
    // The claim went claimed (three attempts: two SES failures, one success) -> sent, with the same MessageId.
    const claims = (await leadPartition(leadId)).filter(
      (item) => String(item.sk).startsWith('EMAIL#') && item.messageId === delivered!.messageId,
    );
    expect(claims).toEqual([expect.objectContaining({ state: 'sent', attempts: 3 })]);

    // The window in which a crash would send it twice: SES's answer plus the confirm, as the step logged it.
    const window = await waitFor('the email confirmed log line', () => Promise.resolve(confirmedLog(delivered!.messageId)), 10_000);
    console.info(
      `email ${delivered!.messageId}: SES answered in ${window.sesMs.toFixed(1)} ms, confirmed ${window.confirmMs.toFixed(1)} ms after`,
    );
    expect(window.confirmMs).toBeLessThan(1_000);
  }, 120_000);
});
