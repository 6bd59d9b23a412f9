import { setTimeout as sleep } from 'node:timers/promises';
import { planCapture } from '../core/capture';
import { NotFoundError } from '../core/errors';
import { formIdSchema, type Form } from '../core/form';
import { parseIdempotencyKey, replay, requestHash, type IdempotencyRecord } from '../core/idempotency';
import { leadIdFor } from '../core/lead';
import { verifySignature, SIGNATURE_HEADER } from '../core/signature';
import { MAX_BODY_BYTES, isSpam, normalizeEmail, parseFields, validateSubmission, type Submission } from '../core/submission';
import { countSpam, getForm } from './shared/forms-repository';
import { getActiveRules } from './shared/rules-repository';
import { httpHandler, type HttpRequest, type HttpResponse } from './shared/http';
import { FORM_MEDIA_TYPE, mediaTypeOf } from './shared/http-body';
import { correlate, countMetric, logger } from './shared/observability';
import {
  IdempotencyKeyUsedError,
  LeadChangedError,
  WriteConflictError,
  getIdempotencyRecord,
  getLead,
  saveLead,
} from './shared/leads-repository';

const MAX_ATTEMPTS = 8;

/** POST (and OPTIONS) /v1/forms/{formId}/submissions */
export const handler = httpHandler(
  async (request) => {
    const form = await formOf(request);
    if (request.method === 'OPTIONS') return { status: 204 };

    const fields = parseFields(request.fields);
    if (form.signingSecret) verifySignature(form.signingSecret, request.headers[SIGNATURE_HEADER], request.rawBody, new Date());
    const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);

    if (isSpam(fields, form.honeypotField)) {
      await countSpam(form.formId);
      countMetric('SpamSubmissions');
      logger.info('spam submission dropped', { formId: form.formId });
      // Answer exactly like a real capture so bots learn nothing.
      return answer(request, form, { leadId: leadIdFor(`spam-${Date.now()}-${Math.random()}`), duplicate: false });
    }
    const submission = validateSubmission(fields, [form.honeypotField]);
    const hash = requestHash([form.formId, request.rawBody]);
    const result = await capture(form, submission, idempotencyKey ? { key: idempotencyKey, hash } : undefined);
    countMetric(result.duplicate ? 'DuplicateSubmissions' : 'LeadsCaptured');
    logger.info(result.duplicate ? 'known lead resubmitted' : 'lead captured', { formId: form.formId });
    return answer(request, form, result);
  },
  {
    precondition: async (request) => {
      await formOf(request);
    },
    body: 'form',
    maxBodyBytes: MAX_BODY_BYTES,
    cors: {
      origins: async (request) => (await formOf(request)).allowedOrigins,
      methods: 'POST, OPTIONS',
      headers: 'content-type, idempotency-key, leadflow-signature',
    },
  },
);

/** The form the submission is for (its settings are cached per container); 404 for an unknown one. */
async function formOf(request: HttpRequest): Promise<Form> {
  const formId = formIdSchema.safeParse(request.pathParameters.formId);
  const form = formId.success ? await getForm(formId.data) : undefined;
  if (!form) throw new NotFoundError('there is no such form');
  return form;
}

interface CaptureResult {
  leadId: string;
  duplicate: boolean;
}

/**
 * Optimistic capture: assume a new lead and create it with one conditional write (a transaction
 * with the idempotency record when a key is given); if the email is known,
 * read the lead and update it from the version read. Conflicts retry with jittered backoff; a
 * used idempotency key replays the first answer.
 */
async function capture(form: Form, submission: Submission, idempotency: { key: string; hash: string } | undefined): Promise<CaptureResult> {
  const leadId = leadIdFor(normalizeEmail(submission.email));
  correlate({ leadId });
  const rules = await getActiveRules();
  let existing = undefined;
  for (let attempt = 1; ; attempt++) {
    const now = new Date();
    const plan = planCapture(existing, submission, form, now, rules);
    const result: CaptureResult = { leadId, duplicate: plan.duplicate };
    const record: IdempotencyRecord | undefined = idempotency && {
      requestHash: idempotency.hash,
      status: 202,
      body: { ...result },
    };
    try {
      // The lead is the one durable write; its history entry and workflow follow from the table stream.
      await saveLead(plan.lead, [], idempotency && record && { scope: form.formId, key: idempotency.key, record, now });
      return result;
    } catch (error) {
      if (error instanceof IdempotencyKeyUsedError && idempotency) {
        const stored = await getIdempotencyRecord(form.formId, idempotency.key);
        if (stored) return replay(stored, idempotency.hash).body as unknown as CaptureResult;
      } else if (!(error instanceof LeadChangedError || error instanceof WriteConflictError)) {
        throw error;
      }
      if (attempt >= MAX_ATTEMPTS) throw error;
      if (error instanceof LeadChangedError || error instanceof IdempotencyKeyUsedError) {
        existing = await getLead(leadId, true);
      }
      if (!(error instanceof LeadChangedError)) await sleep(Math.random() * 10 * 2 ** attempt);
    }
  }
}

function answer(request: HttpRequest, form: Form, result: CaptureResult): HttpResponse {
  if (form.redirectUrl && isBrowserFormPost(request)) {
    const location = new URL(form.redirectUrl);
    location.searchParams.set('leadId', result.leadId);
    return { status: 303, headers: { location: location.toString() } };
  }
  return { status: 202, json: result };
}

/** A plain HTML form post: urlencoded, from a browser that wants a page back. */
function isBrowserFormPost(request: HttpRequest): boolean {
  return mediaTypeOf(request.headers['content-type']) === FORM_MEDIA_TYPE && (request.headers.accept ?? '').includes('text/html');
}
