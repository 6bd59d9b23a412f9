import { planCapture, type CaptureExtras } from '../core/capture';
import { NotFoundError, TemporarilyUnavailableError, UnsupportedMediaTypeError } from '../core/errors';
import { formIdSchema, type Form } from '../core/form';
import {
  PROVIDER_EVENT_TTL_SECONDS,
  parseIdempotencyKey,
  providerEventKey,
  replay,
  requestHash,
  type IdempotencyRecord,
} from '../core/idempotency';
import { leadIdFor } from '../core/lead';
import { providerFor, type Delivery } from '../core/providers';
import { MAX_BODY_BYTES, isSpam, normalizeEmail, parseFields, readSubmission, type Submission } from '../core/submission';
import { countSpam, getForm } from './shared/forms-repository';
import { getActiveRules } from './shared/rules-repository';
import { httpHandler, type HttpRequest, type HttpResponse } from './shared/http';
import { FORM_MEDIA_TYPE, MULTIPART_MEDIA_TYPE } from './shared/http-body';
import { parseMultipart } from './shared/multipart';
import { countMetric } from './shared/business-metrics';
import { MAX_CONFLICT_ATTEMPTS, backOffAfterConflict } from './shared/conflicts';
import { correlate, logger } from './shared/observability';
import {
  IdempotencyKeyUsedError,
  LeadChangedError,
  WriteConflictError,
  getIdempotencyRecord,
  getLead,
  saveLead,
} from './shared/leads-repository';

/**
 * POST (and OPTIONS) /v1/forms/{formId}/submissions: a submission in the form's provider's format
 * (leadflow's own, or a form tool's webhook), verified with its signature scheme when the form has
 * a secret, deduplicated by the provider's event id or an Idempotency-Key, stored as one durable
 * write.
 */
export const handler = httpHandler(
  async (request) => {
    const form = await formOf(request);
    if (request.method === 'OPTIONS') return { status: 204 };

    const now = new Date();
    const provider = providerFor(form.provider);
    const delivery = deliveryOf(request);
    if (!provider.mediaTypes.includes(delivery.mediaType)) throw new UnsupportedMediaTypeError([...provider.mediaTypes]);
    if (form.signingSecret) provider.verify(delivery, form.signingSecret, now);
    const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);

    const received = provider.read(delivery, form.fieldMap);
    const fields = parseFields(received.fields);
    if (isSpam(fields, form.honeypotField)) {
      await countSpam(form.formId);
      countMetric('SpamSubmissions');
      logger.info('spam submission dropped', { formId: form.formId });
      // Answer exactly like a real capture so bots learn nothing.
      return answer(request, form, { leadId: leadIdFor(`spam-${Date.now()}-${Math.random()}`), duplicate: false });
    }
    const { submission, notes } = readSubmission(fields, [form.honeypotField]);
    const extras: CaptureExtras = {
      provider: form.provider,
      notes: [...(received.notes ?? []), ...notes],
      engagement: (received.engagement ?? []).map((event) => ({ ...event, at: event.at ?? now.toISOString() })),
    };
    const once = received.eventId
      ? { ...providerEventKey(form.provider, received.eventId), ttlSeconds: PROVIDER_EVENT_TTL_SECONDS }
      : idempotencyKey
        ? { key: idempotencyKey, hash: requestHash([form.formId, request.rawBody]) }
        : undefined;
    const result = await capture(form, submission, extras, once);
    countMetric(result.duplicate ? 'DuplicateSubmissions' : 'LeadsCaptured');
    logger.info(result.duplicate ? 'known lead resubmitted' : 'lead captured', { formId: form.formId, provider: form.provider });
    return answer(request, form, result);
  },
  {
    precondition: async (request) => {
      await formOf(request);
    },
    body: 'form',
    multipart: parseMultipart,
    maxBodyBytes: MAX_BODY_BYTES,
    cors: {
      origins: async (request) => (await formOf(request)).allowedOrigins,
      methods: 'POST, OPTIONS',
      headers: 'content-type, idempotency-key, leadflow-signature',
    },
  },
);

/** The request as a provider's format is read from: no HTTP objects beyond what signatures cover. */
function deliveryOf(request: HttpRequest): Delivery {
  const query = Object.entries(request.query).filter(([, value]) => value !== undefined);
  const search = query.length > 0 ? `?${new URLSearchParams(query as Array<[string, string]>).toString()}` : '';
  return {
    mediaType: request.form.mediaType,
    rawBody: request.rawBody,
    json: request.form.json,
    fields: request.form.fields,
    files: request.form.files,
    headers: request.headers,
    query: request.query,
    method: request.method,
    url: `https://${request.headers.host ?? 'localhost'}${request.path}${search}`,
  };
}

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
async function capture(
  form: Form,
  submission: Submission,
  extras: CaptureExtras,
  idempotency: { key: string; hash: string; ttlSeconds?: number } | undefined,
): Promise<CaptureResult> {
  const leadId = leadIdFor(normalizeEmail(submission.email));
  correlate({ leadId });
  const rules = await getActiveRules();
  let existing = undefined;
  for (let attempt = 1; ; attempt++) {
    const now = new Date();
    const plan = planCapture(existing, submission, form, now, rules, extras);
    const result: CaptureResult = { leadId, duplicate: plan.duplicate };
    const record: IdempotencyRecord | undefined = idempotency && {
      requestHash: idempotency.hash,
      status: 202,
      body: { ...result },
    };
    try {
      // The lead is the one durable write; its history entry and workflow follow from the table stream.
      await saveLead(
        plan.lead,
        [],
        idempotency && record && { scope: form.formId, key: idempotency.key, record, now, ttlSeconds: idempotency.ttlSeconds },
      );
      return result;
    } catch (error) {
      if (error instanceof IdempotencyKeyUsedError && idempotency) {
        const stored = await getIdempotencyRecord(form.formId, idempotency.key);
        if (stored) return replay(stored, idempotency.hash).body as unknown as CaptureResult;
      } else if (!(error instanceof LeadChangedError || error instanceof WriteConflictError)) {
        throw error;
      }
      if (attempt >= MAX_CONFLICT_ATTEMPTS) throw new TemporarilyUnavailableError(undefined, { cause: error });
      // The first retry re-reads at once; later ones back off, so that many writers take turns.
      if (attempt > 1 || !(error instanceof LeadChangedError)) await backOffAfterConflict(attempt);
      if (error instanceof LeadChangedError || error instanceof IdempotencyKeyUsedError) {
        existing = await getLead(leadId, true);
      }
    }
  }
}

function answer(request: HttpRequest, form: Form, result: CaptureResult): HttpResponse {
  if (form.provider === 'generic' && form.redirectUrl && isBrowserFormPost(request)) {
    const location = new URL(form.redirectUrl);
    location.searchParams.set('leadId', result.leadId);
    return { status: 303, headers: { location: location.toString() } };
  }
  return { status: 202, json: result };
}

/** A plain HTML form post (urlencoded or multipart), from a browser that wants a page back. */
function isBrowserFormPost(request: HttpRequest): boolean {
  return [FORM_MEDIA_TYPE, MULTIPART_MEDIA_TYPE].includes(request.form.mediaType) && (request.headers.accept ?? '').includes('text/html');
}
