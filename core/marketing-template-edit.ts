import { createHash } from 'node:crypto';
import * as z from 'zod';
import { readEscapedValues } from './email-templates';
import { ValidationError, type ErrorDetail } from './errors';
import { CUSTOM_FIELD_PREFIX, marketingTemplateVariables, type MarketingTemplate } from './marketing-templates';
import { checkTemplateSyntax } from './template-syntax';

/**
 * Editing marketing templates (`PUT /v1/email-templates/{templateId}`): the request, its checks,
 * and the SES template each version is deployed as.
 */

/** The variable the marketing sender adds to every email's data: the lead's signed unsubscribe link. */
export const UNSUBSCRIBE_VARIABLE = 'unsubscribeUrl';

export const templateIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 lowercase letters, digits and -, starting with a letter or digit')
  .meta({ description: "The template's id, chosen by its author; campaign steps name it.", examples: ['welcome-1'] });

export const templatePathSchema = z.object({ templateId: templateIdSchema });

export const marketingTemplateRequestSchema = z.object({
  subject: z.string().trim().min(1).max(998).meta({ description: 'The subject line; may use variables.' }),
  html: z.string().min(1).max(200_000).meta({ description: 'The HTML part; must link `{{unsubscribeUrl}}`. Values are HTML-escaped.' }),
  text: z.string().min(1).max(100_000).meta({ description: 'The plain-text part; must show `{{unsubscribeUrl}}`.' }),
  fallbacks: z
    .record(z.string(), z.string().max(1_000))
    .optional()
    .meta({ description: 'What a variable reads for a lead without a value (`{"firstName": "there"}`); others read "".' }),
});

/** What an author writes; the rest of a MarketingTemplate (version, SES name, time) is the platform's. */
export type MarketingTemplateContent = Pick<MarketingTemplate, 'subject' | 'html' | 'text' | 'fallbacks'>;

export const marketingTemplateSchema = z.object({
  templateId: templateIdSchema,
  version: z.number().int().min(1).meta({ description: 'Goes up by one with every change.' }),
  sesTemplateName: z.string().meta({ description: 'The SES template this version is deployed as (one per version).' }),
  subject: z.string(),
  html: z.string(),
  text: z.string(),
  fallbacks: z.record(z.string(), z.string()),
  updatedAt: z.iso.datetime(),
});

export const marketingTemplateListSchema = z.object({ templates: z.array(marketingTemplateSchema) });

export const deletedTemplateSchema = z.object({ templateId: templateIdSchema, version: z.number().int(), deleted: z.literal(true) });

/** A variable a marketing template may read: a lead field, `custom_<field>`, or the unsubscribe link. */
export function isMarketingVariable(name: string): boolean {
  return (
    (marketingTemplateVariables as readonly string[]).includes(name) ||
    name === UNSUBSCRIBE_VARIABLE ||
    new RegExp(`^${CUSTOM_FIELD_PREFIX}[A-Za-z0-9_]+$`).test(name)
  );
}

const allowedVariablesHint = `${marketingTemplateVariables.join(', ')}, ${CUSTOM_FIELD_PREFIX}<field> or ${UNSUBSCRIBE_VARIABLE}`;

/**
 * Checks a template request: the body's shape, each part's syntax and variables, the unsubscribe
 * link in both the HTML and the text part, and the fallbacks' names. Every problem is reported at
 * once, each naming its field (`html`, `text`, `subject`, `fallbacks.<name>`).
 */
export function parseMarketingTemplateRequest(body: unknown): MarketingTemplateContent {
  const parsed = marketingTemplateRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw new ValidationError(
      'the template is invalid',
      parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || 'body', message: issue.message })),
    );
  }
  const { subject, html, text, fallbacks = {} } = parsed.data;
  const details: ErrorDetail[] = [];
  for (const [field, source] of [
    ['subject', subject],
    ['html', html],
    ['text', text],
  ] as const) {
    const { variables, problems } = checkTemplateSyntax(source);
    for (const problem of problems) details.push({ path: field, message: problem.message });
    for (const name of variables.filter((variable) => !isMarketingVariable(variable))) {
      details.push({ path: field, message: `{{${name}}} is not a template variable; use ${allowedVariablesHint}` });
    }
    if (field !== 'subject' && !variables.includes(UNSUBSCRIBE_VARIABLE)) {
      details.push({
        path: field,
        message: `must contain {{${UNSUBSCRIBE_VARIABLE}}}: every marketing email carries a visible unsubscribe link`,
      });
    }
  }
  for (const name of Object.keys(fallbacks)) {
    if (name === UNSUBSCRIBE_VARIABLE)
      details.push({ path: `fallbacks.${name}`, message: 'the unsubscribe link is always set; it takes no fallback' });
    else if (!isMarketingVariable(name))
      details.push({ path: `fallbacks.${name}`, message: `is not a template variable; use ${allowedVariablesHint}` });
  }
  if (details.length > 0) throw new ValidationError('the template is invalid', details);
  return { subject, html, text, fallbacks };
}

/** Whether a request changes nothing of the stored template (a retried or repeated PUT). */
export function sameContent(stored: MarketingTemplateContent, content: MarketingTemplateContent): boolean {
  const sorted = (fallbacks: Record<string, string>) => JSON.stringify(Object.entries(fallbacks).sort(([a], [b]) => a.localeCompare(b)));
  return (
    stored.subject === content.subject &&
    stored.html === content.html &&
    stored.text === content.text &&
    sorted(stored.fallbacks) === sorted(content.fallbacks)
  );
}

/** What SES is given: the HTML part reads the escaped copies of the values (SES inserts them unescaped). */
export function sesTemplateContent(content: MarketingTemplateContent): { Subject: string; Html: string; Text: string } {
  return { Subject: content.subject, Html: readEscapedValues(content.html), Text: content.text };
}

/** SES template names: letters, digits, `_` and `-`, at most 64 characters. */
export const MAX_SES_TEMPLATE_NAME = 64;

/**
 * The SES template a version is deployed as: `<prefix>-mkt-<templateId>-v<version>-<content hash>`.
 * A new name per version, so an email in flight never renders a half-changed template; the hash
 * makes the name stand for its content, so a retried PUT finds its own template (AlreadyExists is
 * success) while two different edits racing for one version never share a template.
 */
export function sesTemplateNameFor(prefix: string, templateId: string, version: number, content: MarketingTemplateContent): string {
  const hash = createHash('sha256')
    .update(JSON.stringify(sesTemplateContent(content)))
    .digest('hex')
    .slice(0, 8);
  const name = `${prefix}-mkt-${templateId}-v${String(version)}-${hash}`;
  if (name.length > MAX_SES_TEMPLATE_NAME || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new Error(`the SES template name ${name} is not valid: shorten the prefix`);
  }
  return name;
}
