import { describe, expect, inject, it } from 'vitest';
import { eventually, findLead, uniqueEmail } from '../integration/helpers';
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
    await Promise.all([page.waitForURL(/thanks\.html\?submissionId=/), page.click('button[type=submit]')]);

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read loosely and asserted field by field, as json() does
    const lead = (await eventually('the lead', () => findLead(email))) as Record<string, any>;
    expect(lead).toMatchObject({ email, source: 'webinar', profile: { firstName: 'Dorothy', company: 'Crystal Labs' } });
    // The upload is not stored; the touch says so.
    expect(lead.customFields).not.toHaveProperty('attachment');
    expect(lead.attribution.lastTouch.notes).toEqual([expect.stringContaining('brief.txt')]);
    await page.close();
  });

  it('fetch with new FormData(form) from an allowed origin is answered 202 with a submission id', async () => {
    const page = await browser.current.newPage();
    const email = uniqueEmail('formdata');
    await page.goto(inject('siteUrl'));
    await page.fill('[name=email]', email);
    await page.fill('[name=firstName]', 'Mary');
    const answer = await page.evaluate<{ status: number; body: { submissionId: string } }>(`(async () => {
      const form = document.querySelector('#demo-form');
      const response = await fetch(form.action, { method: 'POST', body: new FormData(form) });
      return { status: response.status, body: await response.json() };
    })()`);
    expect(answer.status).toBe(202);
    expect(Object.keys(answer.body)).toEqual(['submissionId']);
    expect(await eventually('the lead', () => findLead(email))).toMatchObject({ email, profile: { firstName: 'Mary' } });
    await page.close();
  });
});
