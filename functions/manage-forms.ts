import { NotFoundError, ValidationError, detailsFromIssues } from '../core/errors';
import { formIdSchema, formSchema, publicForm } from '../core/form';
import { getForm, getFormStats, putForm } from './shared/forms-repository';
import { httpHandler } from './shared/http';

/** PUT /v1/forms/{formId} creates or replaces a form; GET reads it with its spam counter (admin). */
export const handler = httpHandler(
  async (request) => {
    const formId = formIdSchema.safeParse(request.pathParameters.formId);
    if (!formId.success) throw new ValidationError('the form id is malformed', detailsFromIssues(formId.error.issues));

    if (request.method === 'GET') {
      const form = await getForm(formId.data, { fresh: true });
      if (!form) throw new NotFoundError('there is no such form');
      return { status: 200, json: { ...publicForm(form), stats: await getFormStats(form.formId) } };
    }

    const parsed = formSchema.safeParse({ ...request.body, formId: formId.data });
    if (!parsed.success) throw new ValidationError('the form is invalid', detailsFromIssues(parsed.error.issues));
    return { status: 200, json: publicForm(await putForm(parsed.data, new Date())) };
  },
  { body: 'json' },
);
