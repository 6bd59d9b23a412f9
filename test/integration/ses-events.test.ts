import { describe, expect, inject, it } from 'vitest';
import { admin, eventually, json, keyed, postJson, qualifiedLead, uniqueEmail } from './helpers';

/**
 * SES events through the local cloud: every send publishes `Email Sent` and `Email Delivered` in
 * AWS's format through the template's own event rule, and the control plane marks a message
 * opened, clicked, bounced or complained as SES would report it.
 */

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>) => eventually(what, probe, 90_000);

type Entry = { type: string; data: Record<string, unknown> };
const history = async (leadId: string): Promise<Entry[]> => (await json(admin('GET', `/v1/leads/${leadId}/history?limit=500`))).entries;
const lead = async (leadId: string) => json(admin('GET', `/v1/leads/${leadId}`));

function mark(messageId: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${inject('controlUrl')}/ses/messages/${encodeURIComponent(messageId)}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function move(leadId: string, body: Record<string, unknown>): Promise<void> {
  const response = await admin('POST', `/v1/leads/${leadId}/stage`, body);
  expect(response.status, JSON.stringify(await response.clone().json())).toBe(200);
}

/** A consenting, qualified lead moved to presentation, and the check-in the follow-up emails it (its MessageId). */
async function leadWithCheckIn(tag: string): Promise<{ leadId: string; messageId: string }> {
  const captured = await postJson('default', { ...qualifiedLead(uniqueEmail(tag), 'Iris'), consent: 'true' }, keyed());
  expect(captured.status).toBe(202);
  const { leadId } = (await json(captured)) as { leadId: string };
  await waitFor('the lead qualified', async () => ((await lead(leadId)).stage === 'qualified' ? true : undefined));
  await move(leadId, { stage: 'presentation' });
  const messageId = await waitFor('the check-in sent', async () => {
    const sent = (await history(leadId)).find((entry) => entry.type === 'email_sent' && entry.data.recipient === 'prospect');
    return sent?.data.messageId as string | undefined;
  });
  return { leadId, messageId };
}

const ofType = async (leadId: string, type: string) => (await history(leadId)).filter((entry) => entry.type === type);

describe('SES events in the local cloud', () => {
  it('records the delivery of every email by itself, and rescores the lead once for an open and once for a click', async () => {
    const { leadId, messageId } = await leadWithCheckIn('ses-open');
    const delivered = await waitFor('email_delivered', async () => {
      const entries = await ofType(leadId, 'email_delivered');
      return entries.length > 0 ? entries : undefined;
    });
    expect(delivered).toEqual([expect.objectContaining({ data: { messageId } })]);

    const before = (await lead(leadId)).score.engagement as number;
    for (const body of [{ type: 'open' }, { type: 'open' }]) {
      const response = await mark(messageId, body);
      expect(response.status).toBe(200);
      expect(await json(response)).toMatchObject({ detailType: 'Email Opened', published: true });
    }
    // The rule's points for one open (default rules: 2), however often the message is reported opened.
    expect((await lead(leadId)).score.engagement).toBe(before + 2);
    expect((await mark(messageId, { type: 'click', link: 'https://example.com/pricing' })).status).toBe(200);
    expect((await mark(messageId, { type: 'click' })).status).toBe(200);
    expect((await lead(leadId)).score.engagement).toBe(before + 2 + 5);
    expect(await ofType(leadId, 'email_opened')).toHaveLength(1);
    expect(await ofType(leadId, 'email_clicked')).toEqual([expect.objectContaining({ data: { messageId } })]);
  }, 180_000);

  it('suppresses a hard-bounced address: the next email to it is email_suppressed', async () => {
    const { leadId, messageId } = await leadWithCheckIn('ses-bounce');
    expect((await mark(messageId, { type: 'bounce', bounceType: 'Permanent' })).status).toBe(200);
    expect(await ofType(leadId, 'email_bounced')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ messageId, bounceType: 'Permanent' }) }),
    ]);

    await move(leadId, { stage: 'closing' });
    await move(leadId, { stage: 'won', dealValue: 1200 });
    const suppressed = await waitFor('the thank-you suppressed', async () => {
      const entries = (await ofType(leadId, 'email_suppressed')).filter((entry) => entry.data.template === 'thank-you');
      return entries.length > 0 ? entries : undefined;
    });
    expect(suppressed).toHaveLength(1);
    expect((await ofType(leadId, 'email_sent')).map((entry) => entry.data.template)).not.toContain('thank-you');
  }, 180_000);

  it('withdraws consent on a complaint', async () => {
    const { leadId, messageId } = await leadWithCheckIn('ses-complaint');
    expect((await lead(leadId)).consent).toBe(true);
    expect((await mark(messageId, { type: 'complaint' })).status).toBe(200);
    expect((await lead(leadId)).consent).toBe(false);
    expect(await ofType(leadId, 'email_complained')).toHaveLength(1);
    expect(await ofType(leadId, 'consent_withdrawn')).toEqual([expect.objectContaining({ data: { via: 'complaint', messageId } })]);
  }, 180_000);

  it('refuses a bad mark with 400 naming the field, and an unknown message with 404', async () => {
    const bad = await mark('any', { type: 'explode' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).message).toMatch(/^type must be one of open, click, bounce, complaint/);
    expect((await mark('any', { type: 'open', bounceType: 'Permanent' })).status).toBe(400);
    expect((await mark('no-such-message', { type: 'open' })).status).toBe(404);
  });

  it('lists the messages on the mailbox page, with their buttons', async () => {
    const page = await fetch(`${inject('controlUrl')}/mailbox`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('Local mailbox');
    expect(html).toMatch(/data-type="complaint"/);
    expect(html).not.toMatch(/<(script|link)[^>]+src=|href="http/);
  });
});
