import { describe, expect, inject, it } from 'vitest';
import { admin, json, uniqueEmail } from '../integration/helpers';
import { useBrowser } from './browser';

const browser = useBrowser();

/** The demo page's form, posted as multipart/form-data as a page built with a form tool often does. */
describe('multipart form posts from a real browser', () => {
  it('a plain HTML form with enctype="multipart/form-data" and a file input creates the lead and lands on the thank-you page', async () => {
    const page = await browser.current.newPage();
    const email = uniqueEmail('multipart');
    await page.goto(`${inject('siteUrl')}/?utm_source=webinar`);
    // Page code, as text: the project compiles without the DOM library.
    await page.evaluate(`{
      const form = document.querySelector('#demo-form');
      form.enctype = 'multipart/form-data';
      const file = document.createElement('input');
      file.type = 'file';
      file.name = 'attachment';
      form.append(file);
    }`);
    await page.setInputFiles('[name=attachment]', { name: 'brief.txt', mimeType: 'text/plain', buffer: Buffer.from('our requirements') });
    await page.fill('[name=firstName]', 'Dorothy');
    await page.fill('[name=email]', email);
    await page.fill('[name=company]', 'Crystal Labs');
    await Promise.all([page.waitForURL(/thanks\.html\?leadId=/), page.click('button[type=submit]')]);

    const leadId = new URL(page.url()).searchParams.get('leadId');
    const lead = await json(admin('GET', `/v1/leads/${String(leadId)}`));
    expect(lead).toMatchObject({ email, source: 'webinar', profile: { firstName: 'Dorothy', company: 'Crystal Labs' } });
    // The upload is not stored; the touch says so.
    expect(lead.customFields).not.toHaveProperty('attachment');
    expect(lead.attribution.lastTouch.notes).toEqual([expect.stringContaining('brief.txt')]);
    await page.close();
  });

  it('fetch with new FormData(form) from an allowed origin is answered 202 with the lead id', async () => {
    const page = await browser.current.newPage();
    const email = uniqueEmail('formdata');
    await page.goto(inject('siteUrl'));
    await page.fill('[name=email]', email);
    await page.fill('[name=firstName]', 'Mary');
    const answer = await page.evaluate<{ status: number; body: { leadId: string } }>(`(async () => {
      const form = document.querySelector('#demo-form');
      const response = await fetch(form.action, { method: 'POST', body: new FormData(form) });
      return { status: response.status, body: await response.json() };
    })()`);
    expect(answer.status).toBe(202);
    expect(await json(admin('GET', `/v1/leads/${answer.body.leadId}`))).toMatchObject({ email, profile: { firstName: 'Mary' } });
    await page.close();
  });
});
