import { CreateEmailTemplateCommand, DeleteEmailTemplateCommand, SESv2Client, type EmailTemplateContent } from '@aws-sdk/client-sesv2';
import * as z from 'zod';
import { TemporarilyUnavailableError, ValidationError } from '../../core/errors';
import { logger } from './observability';

/** Marketing templates are deployed as `<prefix>-mkt-...`: the prefix keeps stacks apart and scopes the grant. */
export const sesTemplatesEnv = z.object({ MARKETING_TEMPLATE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,10}$/) }).parse(process.env);

// An SES that does not answer must not hold the request until the function times out: answer 503 instead.
const ses = new SESv2Client({
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
});

/**
 * Creates the SES template of one version. A template of that name already existing is success:
 * names stand for their content (sesTemplateNameFor), so it is this request's own, left by a retry.
 * SES refusing the template is a 400; SES throttling or out of reach is a 503 (nothing was stored).
 */
export async function createSesTemplate(name: string, content: EmailTemplateContent): Promise<void> {
  try {
    await ses.send(new CreateEmailTemplateCommand({ TemplateName: name, TemplateContent: content }));
  } catch (error) {
    const errorName = (error as Error).name;
    if (errorName === 'AlreadyExistsException') return;
    if (errorName === 'BadRequestException') {
      throw new ValidationError('SES refused the template', [{ path: 'html', message: (error as Error).message }], { cause: error });
    }
    logger.warn('SES did not take the template', { error: errorName });
    throw new TemporarilyUnavailableError('SES is unavailable; nothing was stored, please retry', { cause: error });
  }
}

/** Deletes an SES template; one already gone is fine. Best effort: a failure is logged, never answered. */
export async function deleteSesTemplate(name: string): Promise<void> {
  try {
    await ses.send(new DeleteEmailTemplateCommand({ TemplateName: name }));
  } catch (error) {
    if ((error as Error).name !== 'NotFoundException')
      logger.warn('SES template not deleted', { templateName: name, error: (error as Error).name });
  }
}
