import { describe, expect, inject, it } from 'vitest';
import { readMailbox, type CapturedEmail } from '../../local/ses';
import { admin, captureLead, eventually, json, keyed, noRateLimit, postJson, qualifiedLead, uniqueEmail } from './helpers';

/**
 * Consent end to end: double opt-in records consent only when its link is POSTed; one-click
 * unsubscribe (RFC 8058) stops marketing email at once; a forged or misused token changes nothing;
 * a later submission re-subscribes only with new consent.
 */

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) => eventually(what, probe, timeoutMs);

interface LeadView {
  leadId: string;
  consent: boolean;
  consentRecords: Array<{ at: string; formId: string; text: string; method: string }>;
  unsubscribedAt?: string;
  pendingOptIn?: { formId: string; requestedAt: string };
}

const lead = async (leadId: string): Promise<LeadView> => json(admin('GET', `/v1/leads/${leadId}`));

async function history(leadId: string): Promise<Array<{ type: string; at: string; data: Record<string, unknown> }>> {
  return (await json(admin('GET', `/v1/leads/${leadId}/history?limit=500`))).entries;
}

async function mailTo(email: string, subject: RegExp): Promise<CapturedEmail> {
  return waitFor(`an email "${subject.source}" to the lead`, async () =>
    (await readMailbox(inject('mailboxUrl'))).find((mail) => mail.to.includes(email) && subject.test(mail.subject)),
  );
}

/** The same token with one character of its ciphertext changed. */
function tampered(url: string): string {
  const parsed = new URL(url);
  const token = parsed.searchParams.get('token')!;
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  parsed.searchParams.set('token', token.slice(0, -1) + last);
  return parsed.toString();
}

const oneClick = (url: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });

async function putForm(formId: string, settings: Record<string, unknown>): Promise<void> {
  const response = await admin('PUT', `/v1/forms/${formId}`, { name: formId, rateLimit: noRateLimit, ...settings });
  expect(response.status, await response.clone().text()).toBe(200);
}

describe('double opt-in', () => {
  it('records consent only when the confirmation link is POSTed, never on a GET', async () => {
    const formId = `webinar-${Date.now()}`;
    await putForm(formId, { doubleOptIn: true, consentText: 'Email me about upcoming webinars.' });
    const email = uniqueEmail('optin');
    const { leadId } = await captureLead(formId, { email, firstName: 'Oona', consent: 'true' });

    const confirmation = await mailTo(email, /confirm your subscription/);
    // A consent request is transactional: no unsubscribe headers.
    expect(confirmation.headers['List-Unsubscribe']).toBeUndefined();
    const url = /Confirm: (\S+)/.exec(confirmation.text ?? '')?.[1];
    expect(url).toMatch(/\/v1\/consent\/confirm\?token=/);
    expect(url).not.toContain(leadId);
    expect(await lead(leadId)).toMatchObject({ consent: false, consentRecords: [], pendingOptIn: { formId } });

    // A link scanner's GET shows the page and records nothing.
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<button');
    // A tampered token, or the link used for something else, is refused and changes nothing.
    const forged = await fetch(tampered(url!), { method: 'POST', headers: { accept: 'text/html' } });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('does not work');
    const misused = await oneClick(url!.replace('/v1/consent/confirm', '/v1/unsubscribe'));
    expect(misused.status).toBe(400);
    expect((await json(misused)).error.details).toEqual([expect.objectContaining({ path: 'token' })]);
    expect(await lead(leadId)).toMatchObject({ consent: false, consentRecords: [] });

    const confirmed = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'confirm=yes',
    });
    expect(confirmed.status).toBe(200);
    const after = await lead(leadId);
    expect(after.consent).toBe(true);
    expect(after.pendingOptIn).toBeUndefined();
    expect(after.consentRecords).toEqual([
      expect.objectContaining({ formId, text: 'Email me about upcoming webinars.', method: 'double_opt_in' }),
    ]);
    expect((await history(leadId)).map((entry) => entry.type)).toContain('consent_confirmed');
    // Confirming twice changes nothing.
    expect((await fetch(url!, { method: 'POST' })).status).toBe(200);
    expect((await lead(leadId)).consentRecords).toHaveLength(1);
  }, 120_000);
});

describe('one-click unsubscribe', () => {
  it('unsubscribes at once: the next marketing email is skipped, a submission without consent does not re-subscribe, new consent does', async () => {
    const email = uniqueEmail('unsub');
    const captured = await postJson('default', { ...qualifiedLead(email, 'Uma'), consent: 'true' }, keyed());
    expect(captured.status).toBe(202);
    const { leadId } = (await json(captured)) as { leadId: string };
    await waitFor(
      'the lead to be qualified',
      async () => ((await lead(leadId)) as unknown as { stage: string }).stage === 'qualified' || undefined,
    );
    expect((await admin('POST', `/v1/leads/${leadId}/stage`, { stage: 'presentation' })).status).toBe(200);

    // Idle in presentation: the check-in to the prospect is marketing, with one-click unsubscribe.
    const checkIn = await mailTo(email, /Any questions/);
    const header = checkIn.headers['List-Unsubscribe'] ?? '';
    const url = /<(https?:\/\/[^>]+)>/.exec(header)?.[1];
    expect(url).toMatch(/\/v1\/unsubscribe\?token=/);
    expect(checkIn.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(checkIn.html).toContain(url);
    expect(checkIn.text).toContain(url);

    // Forged, or used as another link: refused, nothing changed.
    expect((await oneClick(tampered(url!))).status).toBe(400);
    expect((await fetch(url!.replace('/v1/unsubscribe', '/v1/consent/confirm'), { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${inject('apiUrl')}/v1/unsubscribe`, { method: 'POST' })).status).toBe(400);
    expect(await lead(leadId)).toMatchObject({ consent: true });
    // The page's GET changes nothing either.
    expect((await fetch(url!)).status).toBe(200);
    expect((await lead(leadId)).unsubscribedAt).toBeUndefined();

    const first = await oneClick(url!);
    expect(first.status).toBe(200);
    const unsubscribed = await lead(leadId);
    expect(unsubscribed).toMatchObject({ consent: false, unsubscribedAt: expect.any(String) });
    expect((await oneClick(url!)).status).toBe(200);
    const entries = (await history(leadId)).filter((entry) => entry.type === 'unsubscribed');
    expect(entries).toEqual([expect.objectContaining({ data: { via: 'one-click' } })]);
    expect((await json(admin('GET', `/v1/leads/${leadId}/export`))).suppressed).toBe(true);

    // Won: the thank-you (transactional) is sent, the retention check-in (marketing) is skipped.
    for (const stage of ['closing', 'won']) {
      const moved = await admin('POST', `/v1/leads/${leadId}/stage`, {
        stage,
        ...(stage === 'won' && { dealValue: 1000, currency: 'EUR' }),
      });
      expect(moved.status).toBe(200);
    }
    const skipped = await waitFor('the retention check-in to be skipped', async () =>
      (await history(leadId)).find((entry) => entry.type === 'email_skipped' && entry.data.template === 'retention-check-in'),
    );
    expect(skipped.data).toMatchObject({ reason: 'unsubscribed', marketing: true });
    expect((await readMailbox(inject('mailboxUrl'))).filter((mail) => mail.to.includes(email)).map((mail) => mail.subject)).not.toContain(
      'How is it going, Uma?',
    );

    // A later submission without consent does not re-subscribe.
    await captureLead('default', { email, firstName: 'Uma' });
    expect(await lead(leadId)).toMatchObject({ consent: false, unsubscribedAt: unsubscribed.unsubscribedAt });
    expect((await json(admin('GET', `/v1/leads/${leadId}/export`))).suppressed).toBe(true);

    // New consent through a form does: the unsubscribe is lifted from the suppression list.
    await captureLead('default', { email, consent: 'true' });
    const again = await lead(leadId);
    expect(again.consent).toBe(true);
    expect(again.unsubscribedAt).toBeUndefined();
    expect(again.consentRecords).toHaveLength(2);
    await waitFor(
      'the unsubscribe to be lifted',
      async () => (await json(admin('GET', `/v1/leads/${leadId}/export`))).suppressed === false || undefined,
    );
  }, 180_000);
});
