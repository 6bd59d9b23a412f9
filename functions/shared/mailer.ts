import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import * as z from 'zod';
import { withHtmlEscapes } from '../../core/email-templates';
import { countMetric } from './business-metrics';
import { logger } from './observability';
import { isSuppressed } from './suppression-list';

export const mailEnv = z
  .object({
    SENDER_EMAIL: z.email(),
    CONFIGURATION_SET_NAME: z.string().min(1),
    /** JSON map from template id (core/email-templates.ts) to the deployed SES template name. */
    EMAIL_TEMPLATES: z.string().transform((value) => z.record(z.string(), z.string()).parse(JSON.parse(value))),
  })
  .parse(process.env);

const ses = new SESv2Client({});

export class EmailSendFailedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmailSendFailedError';
  }
}

export interface TemplatedEmail {
  to: string;
  /** A lifecycle template (core/email-templates.ts), looked up in EMAIL_TEMPLATES; or see `templateName`. */
  templateId: string;
  /** The deployed SES template to use as is (a campaign template); `templateId` then only names it in logs and tags. */
  templateName?: string;
  data: Record<string, unknown>;
  /**
   * SES message tags, delivered back with every SES event of the message (`mail.tags`): the
   * events handler finds the lead, campaign and step by them. Values: letters, digits, `_` and `-`.
   */
  tags?: Record<string, string>;
  /** Marketing mail carries one-click unsubscribe (RFC 8058): the https URL, and a mailto where configured. */
  unsubscribe?: { url: string; mailto?: string };
}

/**
 * `sesMs` is SES's round trip and `answeredAt` the `performance.now()` its answer arrived at: the
 * caller measures from there how long an accepted email stays unconfirmed.
 */
export type SendOutcome = { status: 'sent'; messageId: string; sesMs: number; answeredAt: number } | { status: 'suppressed' };

/**
 * Sends one templated email through SES v2 with the configuration set, unless the recipient is on
 * the suppression list (an erased person's address): then nothing is sent and it says so.
 */
export async function sendTemplatedEmail(email: TemplatedEmail): Promise<SendOutcome> {
  const templateName = email.templateName ?? mailEnv.EMAIL_TEMPLATES[email.templateId];
  if (!templateName) throw new EmailSendFailedError(`no SES template is configured for ${email.templateId}`);
  if (await isSuppressed(email.to)) {
    countMetric('EmailsSuppressed');
    logger.info('email suppressed', { templateId: email.templateId });
    return { status: 'suppressed' };
  }
  const started = performance.now();
  try {
    const result = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: mailEnv.SENDER_EMAIL,
        Destination: { ToAddresses: [email.to] },
        ConfigurationSetName: mailEnv.CONFIGURATION_SET_NAME,
        Content: {
          Template: {
            TemplateName: templateName,
            TemplateData: JSON.stringify(withHtmlEscapes(email.data)),
            Headers: email.unsubscribe ? unsubscribeHeaders(email.unsubscribe) : undefined,
          },
        },
        EmailTags: Object.entries({ template: email.templateId, ...email.tags }).map(([Name, Value]) => ({ Name, Value })),
      }),
    );
    const answeredAt = performance.now();
    countMetric('EmailsSent');
    logger.info('email sent', { templateId: email.templateId, messageId: result.MessageId });
    return { status: 'sent', messageId: result.MessageId ?? '', sesMs: answeredAt - started, answeredAt };
  } catch (error) {
    countMetric('EmailsFailed');
    // The error's name only: SES messages can carry the recipient's address.
    logger.warn('email not sent', { templateId: email.templateId, error: (error as Error).name });
    // The SDK's message can carry the address; keep it out of the error that lands in history.
    throw new EmailSendFailedError(`SES rejected the ${email.templateId} email`, { cause: error });
  }
}

/** RFC 8058 one-click unsubscribe: the https URL (POSTed to by the mailbox provider), and a mailto where configured (RFC 2369). */
function unsubscribeHeaders(unsubscribe: { url: string; mailto?: string }) {
  const targets = [`<${unsubscribe.url}>`, ...(unsubscribe.mailto ? [`<mailto:${unsubscribe.mailto}>`] : [])];
  return [
    { Name: 'List-Unsubscribe', Value: targets.join(', ') },
    { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
  ];
}
