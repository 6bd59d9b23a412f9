import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailTemplates, readMailbox, startSes, type LocalSes } from '../../local/ses';

describe('local SES v2', () => {
  let ses: LocalSes;
  let client: SESv2Client;

  beforeAll(async () => {
    ses = await startSes({ port: 0 });
    client = new SESv2Client({
      endpoint: ses.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    client.destroy();
    await ses.stop();
  });

  it('renders a template created from the stack and keeps the unsubscribe headers', async () => {
    const template = {
      TemplateName: 'nurture-welcome',
      SubjectPart: 'Welcome, {{firstName}}',
      HtmlPart: '<p>Hi {{firstName}}</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
      TextPart: 'Hi {{firstName}} - unsubscribe: {{unsubscribeUrl}}',
    };
    await createEmailTemplates(ses.endpoint, [template]);
    // Loading the templates again (a restarted local cloud) updates them in place.
    await createEmailTemplates(ses.endpoint, [{ ...template, SubjectPart: 'Welcome aboard, {{firstName}}' }]);

    const unsubscribeUrl = 'http://127.0.0.1/v1/unsubscribe?token=signed';
    const { MessageId } = await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'sales@leadflow.example',
        Destination: { ToAddresses: ['ada@example.com'] },
        ConfigurationSetName: 'leadflow',
        Content: {
          Template: {
            TemplateName: 'nurture-welcome',
            TemplateData: JSON.stringify({ firstName: 'Ada', unsubscribeUrl }),
            Headers: [
              { Name: 'List-Unsubscribe', Value: `<${unsubscribeUrl}>` },
              { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
            ],
          },
        },
      }),
    );

    const mail = (await readMailbox(ses.storeUrl)).find((email) => email.messageId === MessageId);
    expect(mail).toMatchObject({
      from: 'sales@leadflow.example',
      to: ['ada@example.com'],
      subject: 'Welcome aboard, Ada',
      html: `<p>Hi Ada</p><a href="${unsubscribeUrl}">Unsubscribe</a>`,
      text: `Hi Ada - unsubscribe: ${unsubscribeUrl}`,
      headers: {
        'List-Unsubscribe': `<${unsubscribeUrl}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    });
    expect(mail?.date).toBeInstanceOf(Date);
  });

  it('serves the mailbox UI', async () => {
    const response = await fetch(ses.uiUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
  });
});
