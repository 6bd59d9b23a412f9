import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { keys } from '../../core/keys';
import type { MarketingTemplate } from '../../core/marketing-templates';
import { createEmailTemplates, readMailbox, type CapturedEmail } from '../../local/ses';
import { admin, documents, eventually, json, nurturedLead, uniqueEmail } from './helpers';

/**
 * Campaigns in the local cloud (a workflow day passes in 0.1 s). Templates are written as the
 * templates API stores them (the item and the SES template); leads are captured through the API.
 */
const run = randomUUID().slice(0, 8);
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) => eventually(what, probe, timeoutMs);

async function createTemplate(templateId: string, subject: string): Promise<void> {
  const template: MarketingTemplate = {
    templateId,
    version: 1,
    sesTemplateName: `leadflow-marketing-${templateId}-v1`,
    subject: `${subject} {{firstName}}`,
    html: `<p>Hello {{firstName}}</p><p><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>`,
    text: 'Hello {{firstName}}. Unsubscribe: {{unsubscribeUrl}}',
    fallbacks: { firstName: 'there' },
    updatedAt: new Date().toISOString(),
  };
  await documents().send(new PutCommand({ TableName: inject('tableName'), Item: { ...keys.emailTemplate(templateId), ...template } }));
  await createEmailTemplates(inject('mailboxUrl').replace(/\/store$/, ''), [
    { TemplateName: template.sesTemplateName, SubjectPart: template.subject, HtmlPart: template.html, TextPart: template.text },
  ]);
}

async function mailsTo(email: string, subject: string): Promise<CapturedEmail[]> {
  return (await readMailbox(inject('mailboxUrl'))).filter((mail) => mail.to.includes(email) && mail.subject.startsWith(subject));
}

async function createCampaign(body: unknown): Promise<string> {
  const response = await admin('POST', '/v1/campaigns', body);
  const answer = await json(response);
  expect(response.status, JSON.stringify(answer)).toBe(201);
  expect(answer.status).toBe('draft');
  return answer.campaignId as string;
}

async function stats(campaignId: string): Promise<Record<string, number>> {
  return (await json(admin('GET', `/v1/campaigns/${campaignId}`))).stats;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const first = `first-${run}`;
const second = `second-${run}`;
const firstSubject = `Welcome ${run}`;
const secondSubject = `Next ${run}`;

beforeAll(async () => {
  await createTemplate(first, firstSubject);
  await createTemplate(second, secondSubject);
});

describe('campaign definitions', () => {
  it('names the bad field, and refuses a step whose template does not exist', async () => {
    const bad = await admin('POST', '/v1/campaigns', {
      name: 'bad',
      steps: [
        { templateId: first, delay: 'P0D' },
        { templateId: second, delay: 'next week' },
      ],
    });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.details.map((detail: { path: string }) => detail.path)).toEqual(['steps[1].delay']);
    const missing = await admin('POST', '/v1/campaigns', { name: 'missing', steps: [{ templateId: 'no-such-template', delay: 'P0D' }] });
    expect(missing.status).toBe(400);
    expect((await json(missing)).error.details[0].path).toBe('steps[0].templateId');
  });
});

describe('a launch', () => {
  it('reaches exactly the consenting leads of the segment, step 2 only where its condition holds, and never twice', async () => {
    const cohort = `launch-${run}`;
    const opener = await nurturedLead(cohort, true, 'opener');
    const ignorer = await nurturedLead(cohort, true, 'ignorer');
    const noConsent = await nurturedLead(cohort, false, 'noconsent');
    const outsider = await nurturedLead(`other-${run}`, true, 'outsider');
    const campaignId = await createCampaign({
      name: 'Launch test',
      segment: { stages: ['nurturing'], customField: { name: 'cohort', equals: cohort } },
      steps: [
        { templateId: first, delay: 'PT0S' },
        // 300 workflow days are 30 s here: time to record the open under a loaded machine.
        { templateId: second, delay: 'P300D', condition: { type: 'opened_previous' } },
      ],
    });

    const preview = await json(admin('POST', `/v1/campaigns/${campaignId}/preview`));
    expect(preview.count).toBe(3);
    expect(preview.sample.map((lead: { leadId: string }) => lead.leadId).sort()).toEqual(
      [opener.leadId, ignorer.leadId, noConsent.leadId].sort(),
    );

    // The same request twice (a client's retry), at once.
    const [launched, retried] = await Promise.all([
      admin('POST', `/v1/campaigns/${campaignId}/launch`),
      admin('POST', `/v1/campaigns/${campaignId}/launch`),
    ]);
    expect(launched.status).toBe(202);
    expect(retried.status).toBe(202);
    expect((await json(launched)).targeted).toBe(3);

    const [firstMail] = await waitFor('step 1 to the opener', async () => {
      const mails = await mailsTo(opener.email, firstSubject);
      return mails.length > 0 ? mails : undefined;
    });
    // The SES events handler records an open as an `email_opened` entry of the message.
    const at = new Date().toISOString();
    await documents().send(
      new PutCommand({
        TableName: inject('tableName'),
        Item: {
          ...keys.history(opener.leadId, at, `open-${run}`),
          leadId: opener.leadId,
          entryId: `open-${run}`,
          at,
          type: 'email_opened',
          actor: 'ses',
          data: { messageId: await messageIdOf(opener.leadId, firstMail!.messageId), campaignId, step: 0 },
        },
      }),
    );
    await waitFor('step 1 to the lead who will not open it', async () =>
      (await mailsTo(ignorer.email, firstSubject)).length > 0 ? true : undefined,
    );
    await waitFor('step 2 to the opener', async () => ((await mailsTo(opener.email, secondSubject)).length > 0 ? true : undefined));
    await waitFor('step 2 skipped for the other', async () => ((await stats(campaignId)).skipped_condition === 1 ? true : undefined));

    // A second launch later: everyone is enrolled already.
    expect((await admin('POST', `/v1/campaigns/${campaignId}/launch`)).status).toBe(202);
    await settle(3_000);
    expect(await mailsTo(opener.email, firstSubject)).toHaveLength(1);
    expect(await mailsTo(opener.email, secondSubject)).toHaveLength(1);
    expect(await mailsTo(ignorer.email, firstSubject)).toHaveLength(1);
    expect(await mailsTo(ignorer.email, secondSubject)).toHaveLength(0);
    expect(await mailsTo(noConsent.email, firstSubject)).toHaveLength(0);
    expect(await mailsTo(outsider.email, firstSubject)).toHaveLength(0);
    const final = await stats(campaignId);
    expect(final).toMatchObject({ targeted: 3, sent: 3, skipped_no_consent: 1, skipped_condition: 1 });

    const view = await json(admin('GET', `/v1/campaigns/${campaignId}`));
    expect(view).toMatchObject({ campaignId, status: 'active', steps: [{ templateId: first }, { templateId: second }] });
    const listed = await json(admin('GET', '/v1/campaigns'));
    expect(listed.campaigns.map((campaign: { campaignId: string }) => campaign.campaignId)).toContain(campaignId);
  }, 240_000);
});

/** The SES message id the lead's `email_sent` entry recorded for a captured message (the same id SES answered). */
async function messageIdOf(leadId: string, mailboxMessageId: string): Promise<string> {
  const { entries } = await json(admin('GET', `/v1/leads/${leadId}/history?limit=500`));
  const sent = (entries as Array<{ type: string; data: Record<string, unknown> }>).find(
    (entry) => entry.type === 'email_sent' && entry.data.marketing === true,
  );
  expect(sent?.data.messageId).toBe(mailboxMessageId);
  return String(sent?.data.messageId);
}

describe('pause, resume and cancel', () => {
  it('holds pending steps while paused, goes on after a resume, and ends them on cancel', async () => {
    const paused = await nurturedLead(`pause-${run}`, true, 'paused');
    const cancelled = await nurturedLead(`cancel-${run}`, true, 'cancelled');
    const steps = [
      { templateId: first, delay: 'PT0S' },
      { templateId: second, delay: 'P30D' },
    ];
    const pausedId = await createCampaign({ name: 'Pause', segment: { customField: { name: 'cohort', equals: `pause-${run}` } }, steps });
    const cancelledId = await createCampaign({
      name: 'Cancel',
      segment: { customField: { name: 'cohort', equals: `cancel-${run}` } },
      steps,
    });
    for (const id of [pausedId, cancelledId]) expect((await admin('POST', `/v1/campaigns/${id}/launch`)).status).toBe(202);
    await waitFor('both first steps', async () =>
      (await mailsTo(paused.email, firstSubject)).length > 0 && (await mailsTo(cancelled.email, firstSubject)).length > 0
        ? true
        : undefined,
    );
    expect((await json(admin('POST', `/v1/campaigns/${pausedId}/pause`))).status).toBe('paused');
    expect((await json(admin('POST', `/v1/campaigns/${cancelledId}/cancel`))).status).toBe('cancelled');
    // Past the 30-day delay (3 s) and then some.
    await settle(5_000);
    expect(await mailsTo(paused.email, secondSubject)).toHaveLength(0);
    expect(await mailsTo(cancelled.email, secondSubject)).toHaveLength(0);
    // A cancelled campaign cannot be resumed; the paused one can.
    expect((await admin('POST', `/v1/campaigns/${cancelledId}/resume`)).status).toBe(409);
    expect((await json(admin('POST', `/v1/campaigns/${pausedId}/resume`))).status).toBe('active');
    await waitFor('step 2 after the resume', async () => ((await mailsTo(paused.email, secondSubject)).length > 0 ? true : undefined));
    await settle(1_000);
    expect(await mailsTo(cancelled.email, secondSubject)).toHaveLength(0);
    expect(await mailsTo(paused.email, secondSubject)).toHaveLength(1);
  }, 240_000);
});

describe('triggered enrollment', () => {
  it('enrolls a lead whose engagement matches a trigger, exactly once', async () => {
    const asset = `guide-${run}.pdf`;
    const campaignId = await createCampaign({
      name: 'Guide follow-up',
      segment: { stages: ['nurturing', 'new'] },
      steps: [{ templateId: first, delay: 'PT0S' }],
      triggers: [{ type: 'engagement', eventType: 'content_download', asset }],
    });
    const activated = await admin('POST', `/v1/campaigns/${campaignId}/launch`, { enrollSegment: false });
    expect(await json(activated)).toMatchObject({ targeted: 0 });
    const reader = await nurturedLead(`trigger-${run}`, true, 'reader');
    const other = await nurturedLead(`trigger-${run}`, true, 'other');
    for (let download = 0; download < 2; download++) {
      const recorded = await admin('POST', `/v1/leads/${reader.leadId}/events`, { type: 'content_download', properties: { asset } });
      expect(recorded.status).toBeLessThan(300);
    }
    await admin('POST', `/v1/leads/${other.leadId}/events`, { type: 'content_download', properties: { asset: 'another.pdf' } });
    await waitFor('the triggered email', async () => ((await mailsTo(reader.email, firstSubject)).length > 0 ? true : undefined));
    await settle(3_000);
    expect(await mailsTo(reader.email, firstSubject)).toHaveLength(1);
    expect(await mailsTo(other.email, firstSubject)).toHaveLength(0);
    expect((await stats(campaignId)).targeted).toBe(1);
  }, 120_000);
});

describe('test sends', () => {
  it("renders every step for a lead to the given address, without touching the lead's history", async () => {
    const lead = await nurturedLead(`test-send-${run}`, true, 'rendered');
    const campaignId = await createCampaign({
      name: 'Test send',
      steps: [
        { templateId: first, delay: 'PT0S' },
        { templateId: second, delay: 'P1D' },
      ],
    });
    const to = uniqueEmail('marketer');
    const response = await admin('POST', `/v1/campaigns/${campaignId}/test-send`, { leadId: lead.leadId, to });
    expect(response.status).toBe(200);
    expect((await json(response)).steps).toHaveLength(2);
    expect(await mailsTo(to, firstSubject)).toHaveLength(1);
    expect((await mailsTo(to, secondSubject))[0]?.subject).toBe(`${secondSubject} Nina`);
    const { entries } = await json(admin('GET', `/v1/leads/${lead.leadId}/history?limit=500`));
    expect(
      (entries as Array<{ type: string; data: Record<string, unknown> }>).filter((entry) => entry.data.campaignId === campaignId),
    ).toEqual([]);
    expect((await stats(campaignId)).sent).toBe(0);
    expect((await admin('POST', `/v1/campaigns/${campaignId}/test-send`, { leadId: lead.leadId, to: 'not-an-address' })).status).toBe(400);
  });
});
