import { describe, expect, it } from 'vitest';
import { useBrowser } from './browser';
import { inject } from 'vitest';
import { eventually, findLead, uniqueEmail } from '../integration/helpers';

const browser = useBrowser();

describe('demo landing page in headless Chromium', () => {
  it('submits the form, lands on the thank-you page, and the lead is readable through the API', async () => {
    const page = await browser.current.newPage();
    const email = uniqueEmail('browser');
    await page.goto(`${inject('siteUrl')}/?utm_source=newsletter&utm_campaign=november`);
    await page.fill('[name=firstName]', 'Katherine');
    await page.fill('[name=lastName]', 'Johnson');
    await page.fill('[name=email]', email);
    await page.fill('[name=company]', 'Orbital Mechanics Ltd');
    await page.fill('[name=jobTitle]', 'VP Engineering');
    await page.selectOption('[name=companySize]', '201-1000');
    await page.selectOption('[name=budget]', '$25k-$100k');
    await page.selectOption('[name=timeline]', 'This quarter');
    await page.fill('[name=message]', 'Our pipeline reporting is manual and slow.');
    await page.check('[name=consent]');
    await Promise.all([page.waitForURL(/thanks\.html\?submissionId=/), page.click('button[type=submit]')]);

    // The visitor's reference is the submission, never the lead: the public answer reveals nothing about who is a lead.
    const submissionId = new URL(page.url()).searchParams.get('submissionId');
    expect(new URL(page.url()).searchParams.has('leadId')).toBe(false);
    await expect.poll(() => page.textContent('#submission-id')).toContain(submissionId);
    await page.screenshot({ path: 'test-results/demo-thanks.png' });

    const lead = await eventually('the lead', () => findLead(email));
    expect(lead).toMatchObject({
      email,
      consent: true,
      source: 'newsletter',
      profile: { firstName: 'Katherine', lastName: 'Johnson', company: 'Orbital Mechanics Ltd', jobTitle: 'VP Engineering' },
      attribution: { firstTouch: { campaign: 'november', formId: 'default' } },
    });
    await page.close();
  });
});
