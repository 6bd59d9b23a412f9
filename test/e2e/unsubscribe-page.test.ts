import { describe, expect, inject, it } from 'vitest';
import { readMailbox } from '../../local/ses';
import { admin, eventually, json, keyed, postJson, qualifiedLead, uniqueEmail } from '../integration/helpers';
import { useBrowser } from './browser';

const browser = useBrowser();

describe('the unsubscribe page in headless Chromium', () => {
  it('shows a button on the link from a marketing email, and clicking it unsubscribes the lead', async () => {
    const email = uniqueEmail('unsubscribe-page');
    const captured = await postJson('default', qualifiedLead(email, 'Page'), keyed());
    const { leadId } = (await json(captured)) as { leadId: string };
    await eventually(
      'the lead to be qualified',
      async () => (await json(admin('GET', `/v1/leads/${leadId}`))).stage === 'qualified' || undefined,
    );
    expect((await admin('POST', `/v1/leads/${leadId}/stage`, { stage: 'presentation' })).status).toBe(200);
    // The idle check-in is marketing: its List-Unsubscribe URL is the page's.
    const checkIn = await eventually(
      'the check-in',
      async () =>
        (await readMailbox(inject('mailboxUrl'))).find((mail) => mail.to.includes(email) && mail.subject.startsWith('Any questions')),
      60_000,
    );
    const url = /<(https?:\/\/[^>]+)>/.exec(checkIn.headers['List-Unsubscribe'] ?? '')![1]!;

    const page = await browser.current.newPage();
    await page.goto(url);
    await expect.poll(() => page.textContent('h1')).toBe('Unsubscribe');
    // Opening the page changed nothing.
    expect((await json(admin('GET', `/v1/leads/${leadId}`))).consent).toBe(true);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    await expect.poll(() => page.textContent('h1')).toBe('You are unsubscribed');
    await page.screenshot({ path: 'test-results/unsubscribed.png' });
    await page.close();

    const lead = await json(admin('GET', `/v1/leads/${leadId}`));
    expect(lead).toMatchObject({ consent: false, unsubscribedAt: expect.any(String) });
    const entries = (await json(admin('GET', `/v1/leads/${leadId}/history?limit=500`))).entries as Array<{ type: string; data: unknown }>;
    expect(entries.filter((entry) => entry.type === 'unsubscribed')).toEqual([expect.objectContaining({ data: { via: 'page' } })]);
  }, 120_000);
});
