import { GetEmailTemplateCommand, SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { withHtmlEscapes } from '../../core/email-templates';
import type { Lead } from '../../core/lead';
import { marketingTemplateData } from '../../core/marketing-templates';
import { readMailbox } from '../../local/ses';
import { admin, documents, eventually, json, keyed, postJson, uniqueEmail } from './helpers';

/** SES local itself (the mailbox store's server), as a test reaches it: the SES v2 API the functions use. */
const sesEndpoint = () => inject('mailboxUrl').replace(/\/store$/, '');
const ses = new SESv2Client({
  endpoint: sesEndpoint(),
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

afterAll(() => {
  ses.destroy();
});

const template = {
  subject: 'News for {{firstName}}',
  html: '<p>Hi {{firstName}} from {{company}}, on {{custom_plan}}.</p><p><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
  text: 'Hi {{firstName}} from {{company}}, on {{custom_plan}}.\n\nUnsubscribe: {{unsubscribeUrl}}',
  fallbacks: { company: 'your company' },
};

const templateId = () => `it-${randomUUID().slice(0, 8)}`;

describe('email templates through the API', () => {
  it('PUT deploys each version as its own SES template and stores it; the same PUT again is no new version', async () => {
    const id = templateId();
    const first = await admin('PUT', `/v1/email-templates/${id}`, template);
    expect(first.status).toBe(201);
    const v1 = await json(first);
    expect(v1).toMatchObject({ templateId: id, version: 1, ...template });

    const deployed = await ses.send(new GetEmailTemplateCommand({ TemplateName: v1.sesTemplateName }));
    expect(deployed.TemplateContent).toEqual({
      Subject: template.subject,
      Html: '<p>Hi {{firstName_html}} from {{company_html}}, on {{custom_plan_html}}.</p><p><a href="{{unsubscribeUrl_html}}">Unsubscribe</a></p>',
      Text: template.text,
    });

    const again = await admin('PUT', `/v1/email-templates/${id}`, template);
    expect(again.status).toBe(200);
    expect((await json(again)).version).toBe(1);

    const changed = await admin('PUT', `/v1/email-templates/${id}`, { ...template, subject: 'Fresh news for {{firstName}}' });
    expect(changed.status).toBe(200);
    const v2 = await json(changed);
    expect(v2.version).toBe(2);
    expect(v2.sesTemplateName).not.toBe(v1.sesTemplateName);
    expect((await ses.send(new GetEmailTemplateCommand({ TemplateName: v2.sesTemplateName }))).TemplateContent?.Subject).toBe(
      'Fresh news for {{firstName}}',
    );
    // The previous version stays deployed for the emails in flight.
    expect((await ses.send(new GetEmailTemplateCommand({ TemplateName: v1.sesTemplateName }))).TemplateContent?.Subject).toBe(
      template.subject,
    );

    expect(await json(admin('GET', `/v1/email-templates/${id}`))).toEqual(v2);
    const { templates } = await json(admin('GET', '/v1/email-templates'));
    expect(templates).toContainEqual(v2);

    const deleted = await admin('DELETE', `/v1/email-templates/${id}`);
    expect(await json(deleted)).toEqual({ templateId: id, version: 2, deleted: true });
    expect((await admin('GET', `/v1/email-templates/${id}`)).status).toBe(404);
    await expect(ses.send(new GetEmailTemplateCommand({ TemplateName: v2.sesTemplateName }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
  });

  it('refuses bad templates with 400 naming the field, and stores nothing', async () => {
    const id = templateId();
    const answer = await admin('PUT', `/v1/email-templates/${id}`, {
      subject: 'Hi {{nickname}}',
      html: '<p>{{#if company}}Hi</p><a href="{{unsubscribeUrl}}">x</a>',
      text: 'No link',
      fallbacks: { shoeSize: '42' },
    });
    expect(answer.status).toBe(400);
    const { error } = await json(answer);
    expect(error.code).toBe('validation_failed');
    expect(error.details.map((detail: { path: string }) => detail.path)).toEqual(['subject', 'html', 'text', 'fallbacks.shoeSize']);
    const { Item } = await documents().send(
      new GetCommand({ TableName: inject('tableName'), Key: { pk: 'TEMPLATES', sk: `TEMPLATE#${id}` } }),
    );
    expect(Item).toBeUndefined();
  });

  it('needs campaigns:write to change a template; campaigns:read reads them', async () => {
    const id = templateId();
    expect((await admin('PUT', `/v1/email-templates/${id}`, template)).status).toBe(201);
    const leadsReader = await json(admin('POST', '/v1/api-keys', { name: 'reader', scopes: ['leads:read'] }));
    expect((await admin('PUT', `/v1/email-templates/${templateId()}`, template, leadsReader.key)).status).toBe(403);
    expect((await admin('GET', `/v1/email-templates/${id}`, undefined, leadsReader.key)).status).toBe(403);
    const campaignsReader = await json(admin('POST', '/v1/api-keys', { name: 'marketing analyst', scopes: ['campaigns:read'] }));
    expect((await admin('GET', `/v1/email-templates/${id}`, undefined, campaignsReader.key)).status).toBe(200);
    expect((await admin('GET', '/v1/email-templates', undefined, campaignsReader.key)).status).toBe(200);
    expect((await admin('PUT', `/v1/email-templates/${id}`, template, campaignsReader.key)).status).toBe(403);
    expect((await admin('DELETE', `/v1/email-templates/${id}`, undefined, campaignsReader.key)).status).toBe(403);
  });

  it("a send of the deployed template renders the lead's values escaped in HTML, and the fallback where the lead has none", async () => {
    const id = templateId();
    const stored = await json(admin('PUT', `/v1/email-templates/${id}`, template));
    const marker = randomUUID().slice(0, 8);
    const email = uniqueEmail('template');
    const captured = await postJson('default', { email, firstName: `<b>${marker}</b>`, plan: 'Pro & <i>more</i>' }, keyed());
    expect(captured.status).toBe(202);
    const { leadId } = await json(captured);
    const lead = (await json(admin('GET', `/v1/leads/${leadId}`))) as Lead;
    expect(lead.customFields.plan).toBe('Pro & <i>more</i>');

    // What a campaign sender sends (the mailer escapes the data: withHtmlEscapes).
    const data = { ...marketingTemplateData(lead, stored.fallbacks), unsubscribeUrl: 'https://example.com/u?token=a&b' };
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'leadflow@example.com',
        Destination: { ToAddresses: [email] },
        Content: { Template: { TemplateName: stored.sesTemplateName, TemplateData: JSON.stringify(withHtmlEscapes(data)) } },
      }),
    );

    const mail = await eventually('the templated email', async () =>
      (await readMailbox(inject('mailboxUrl'))).find((m) => m.to.includes(email)),
    );
    expect(mail.subject).toBe(`News for <b>${marker}</b>`);
    expect(mail.html).toContain(`Hi &lt;b&gt;${marker}&lt;/b&gt; from your company, on Pro &amp; &lt;i&gt;more&lt;/i&gt;.`);
    expect(mail.html).toContain('href="https://example.com/u?token=a&amp;b"');
    expect(mail.html).not.toContain(`<b>${marker}</b>`);
    expect(mail.text).toContain(`Hi <b>${marker}</b> from your company, on Pro & <i>more</i>.`);
    expect(mail.text).toContain('Unsubscribe: https://example.com/u?token=a&b');
  });
});
