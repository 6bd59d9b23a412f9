import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { readMailbox, type CapturedEmail } from '../../local/ses';
import { admin, eventually, json, nurturedLead } from './helpers';

/**
 * A marketer's whole path through the public API and the local cloud's SES events: templates put
 * through the templates API, a launch, a one-click unsubscribe, a click and a hard bounce reported
 * as SES reports them, and a later campaign for the same people. A workflow day passes in 0.1 s.
 */
const run = randomUUID().slice(0, 8);
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>) => eventually(what, probe, 120_000);

async function putTemplate(templateId: string, subject: string): Promise<void> {
  const response = await admin('PUT', `/v1/email-templates/${templateId}`, {
    subject: `${subject} {{firstName}}`,
    html: '<p>Hello {{firstName}} of {{company}}</p><p><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
    text: 'Hello {{firstName}} of {{company}}. Unsubscribe: {{unsubscribeUrl}}',
    fallbacks: { firstName: 'there' },
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

async function mailTo(email: string, subject: string): Promise<CapturedEmail | undefined> {
  const mails = (await readMailbox(inject('mailboxUrl'))).filter((mail) => mail.to.includes(email) && mail.subject.startsWith(subject));
  expect(mails.length).toBeLessThanOrEqual(1);
  return mails[0];
}

async function launch(campaign: unknown): Promise<string> {
  const created = await json(admin('POST', '/v1/campaigns', campaign));
  expect((await admin('POST', `/v1/campaigns/${created.campaignId}/launch`)).status).toBe(202);
  return created.campaignId as string;
}

const stats = async (campaignId: string): Promise<Record<string, number>> =>
  (await json(admin('GET', `/v1/campaigns/${campaignId}`))).stats;

/** Reports an SES event of a message as the local cloud's control plane publishes it (AWS's event format). */
async function report(messageId: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${inject('controlUrl')}/ses/messages/${encodeURIComponent(messageId)}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

describe('a nurture campaign, end to end', () => {
  it('stops for an unsubscribe, rescores a click, and keeps a bounced address out of every later campaign', async () => {
    const welcome = `Welcome ${run}`;
    const followUp = `Follow-up ${run}`;
    const later = `Later ${run}`;
    await putTemplate(`journey-welcome-${run}`, welcome);
    await putTemplate(`journey-follow-up-${run}`, followUp);
    await putTemplate(`journey-later-${run}`, later);

    const cohort = `journey-${run}`;
    const [leaver, clicker, bouncer] = await Promise.all([
      nurturedLead(cohort, true, 'leaver'),
      nurturedLead(cohort, true, 'clicker'),
      nurturedLead(cohort, true, 'bouncer'),
    ]);
    const segment = { stages: ['nurturing'], customField: { name: 'cohort', equals: cohort } };
    const first = await launch({
      name: `Journey ${run}`,
      segment,
      steps: [
        { templateId: `journey-welcome-${run}`, delay: 'PT0S' },
        // 300 workflow days are 30 s here: time for the unsubscribe, the click and the bounce to land first.
        { templateId: `journey-follow-up-${run}`, delay: 'P300D' },
      ],
    });
    const [leaverMail, clickerMail, bouncerMail] = await Promise.all(
      [leaver, clicker, bouncer].map((lead) => waitFor(`step 1 to ${lead.email}`, () => mailTo(lead.email, welcome))),
    );
    expect(clickerMail!.html).toContain('Hello Nina of Nina Systems');

    // The mailbox provider's one-click POST to the List-Unsubscribe URL (RFC 8058).
    const unsubscribeUrl = /<(https?:[^>]+)>/.exec(leaverMail!.headers['List-Unsubscribe'] ?? '')?.[1];
    expect(unsubscribeUrl).toBeDefined();
    const unsubscribed = await fetch(unsubscribeUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(unsubscribed.status).toBe(200);

    const scoreBefore = (await json(admin('GET', `/v1/leads/${clicker.leadId}`))).score.engagement as number;
    await report(clickerMail!.messageId, { type: 'click', link: 'https://example.com/pricing' });
    await report(bouncerMail!.messageId, { type: 'bounce', bounceType: 'Permanent' });
    expect((await json(admin('GET', `/v1/leads/${clicker.leadId}`))).score.engagement).toBeGreaterThan(scoreBefore);

    await waitFor('step 2 to the clicker', () => mailTo(clicker.email, followUp));
    await waitFor('step 2 stopped for the others', async () => {
      const counted = await stats(first);
      return counted.skipped_unsubscribed === 1 && counted.skipped_suppressed === 1 ? counted : undefined;
    });
    expect(await stats(first)).toMatchObject({ targeted: 3, sent: 4, clicked: 1, bounced: 1, unsubscribed: 1 });
    expect(await mailTo(leaver.email, followUp)).toBeUndefined();
    expect(await mailTo(bouncer.email, followUp)).toBeUndefined();

    // A later campaign for the same segment: only the clicker is still mailable.
    const second = await launch({ name: `Later ${run}`, segment, steps: [{ templateId: `journey-later-${run}`, delay: 'PT0S' }] });
    await waitFor('the later campaign to the clicker', () => mailTo(clicker.email, later));
    await waitFor('the later campaign withheld from the others', async () => {
      const counted = await stats(second);
      return counted.skipped_unsubscribed === 1 && counted.skipped_suppressed === 1 ? counted : undefined;
    });
    expect(await mailTo(leaver.email, later)).toBeUndefined();
    expect(await mailTo(bouncer.email, later)).toBeUndefined();
  }, 300_000);
});
