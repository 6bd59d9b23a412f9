import { ConflictError, NotFoundError, ValidationError } from '../core/errors';
import {
  parseMarketingTemplateRequest,
  sameContent,
  sesTemplateContent,
  sesTemplateNameFor,
  templateIdSchema,
} from '../core/marketing-template-edit';
import type { MarketingTemplate } from '../core/marketing-templates';
import {
  listEmailTemplates,
  readStoredEmailTemplate,
  writeEmailTemplate,
  type StoredEmailTemplate,
} from './shared/email-templates-repository';
import { httpHandler, type HttpRequest, type HttpResponse } from './shared/http';
import { createSesTemplate, deleteSesTemplate, sesTemplatesEnv } from './shared/ses-templates';

/** SES takes templates up to 500 KB; the parts' own limits (core/marketing-template-edit.ts) keep well under it. */
export const MAX_TEMPLATE_BODY_BYTES = 350 * 1024;

/**
 * Marketing's email templates: list, read, create or change (PUT), delete. A change deploys a new
 * SES template for the new version first and stores the item only once SES took it, conditional
 * on the version read, so a concurrent edit loses with 409 and SES being down stores nothing.
 * SES keeps the current version and the one before it (a sender may have read that one just
 * now); older ones are deleted, so a template edited a thousand times holds two SES templates,
 * not a thousand (an account may hold 20,000).
 */
export const handler = httpHandler(
  async (request) => {
    if (request.method === 'GET' && request.pathParameters.templateId === undefined) {
      return { status: 200, json: { templates: (await listEmailTemplates()).map(viewOf) } };
    }
    const templateId = templateIdOf(request);
    if (request.method === 'GET') return { status: 200, json: viewOf(await existing(templateId)) };
    if (request.method === 'DELETE') return remove(templateId);
    return put(templateId, request);
  },
  { body: 'json', maxBodyBytes: MAX_TEMPLATE_BODY_BYTES },
);

async function put(templateId: string, request: HttpRequest): Promise<HttpResponse> {
  const content = parseMarketingTemplateRequest(request.body);
  const current = await readStoredEmailTemplate(templateId);
  const live = current && !current.deleted ? current : undefined;
  // The same template again (a retry, a script run twice): no new version.
  if (live && sameContent(live, content)) return { status: 200, json: viewOf(live) };
  const expectedVersion = current?.version ?? 0;
  const version = expectedVersion + 1;
  const sesTemplateName = sesTemplateNameFor(sesTemplatesEnv.MARKETING_TEMPLATE_PREFIX, templateId, version, content);
  await createSesTemplate(sesTemplateName, sesTemplateContent(content));
  const template: MarketingTemplate = { templateId, version, sesTemplateName, ...content, updatedAt: new Date().toISOString() };
  const stored: StoredEmailTemplate = { ...template, ...(live && { previousSesTemplateName: live.sesTemplateName }) };
  if (await writeEmailTemplate(stored, expectedVersion)) {
    if (live?.previousSesTemplateName) await deleteSesTemplate(live.previousSesTemplateName);
    return { status: live ? 200 : 201, json: template };
  }

  // Another edit stored this version first. The same content is this request's twin: answer it.
  const winner = await readStoredEmailTemplate(templateId);
  if (winner && !winner.deleted && sameContent(winner, content)) return { status: 200, json: viewOf(winner) };
  // Ours is an orphan; its name (content-hashed) is not the winner's.
  if (winner?.sesTemplateName !== sesTemplateName) await deleteSesTemplate(sesTemplateName);
  throw new ConflictError(
    'template_changed',
    `another edit of ${templateId} came first (now version ${String(winner?.version ?? 0)}): read it and reapply your change`,
    [{ path: 'templateId', message: `is at version ${String(winner?.version ?? 0)}` }],
  );
}

async function remove(templateId: string): Promise<HttpResponse> {
  const template = await existing(templateId);
  const tombstone: StoredEmailTemplate = { ...template, deleted: true, updatedAt: new Date().toISOString() };
  if (!(await writeEmailTemplate(tombstone, template.version))) {
    throw new ConflictError('template_changed', `${templateId} changed meanwhile: read it and delete it again`);
  }
  // After the item: a sender that still reads the old item finds its SES template until here.
  await deleteSesTemplate(template.sesTemplateName);
  if (template.previousSesTemplateName) await deleteSesTemplate(template.previousSesTemplateName);
  return { status: 200, json: { templateId, version: template.version, deleted: true } };
}

async function existing(templateId: string): Promise<StoredEmailTemplate> {
  const template = await readStoredEmailTemplate(templateId);
  if (!template || template.deleted) throw new NotFoundError(`there is no email template ${templateId}`);
  return template;
}

function templateIdOf(request: HttpRequest): string {
  const parsed = templateIdSchema.safeParse(request.pathParameters.templateId);
  if (!parsed.success) {
    throw new ValidationError('the template id is invalid', [
      { path: 'templateId', message: parsed.error.issues[0]?.message ?? 'is invalid' },
    ]);
  }
  return parsed.data;
}

function viewOf(template: StoredEmailTemplate): MarketingTemplate {
  const { deleted: _deleted, previousSesTemplateName: _previous, ...view } = template;
  return view;
}
