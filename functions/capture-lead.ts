import { createHash, randomBytes } from 'node:crypto';
import { takeCaptchaToken } from '../core/captcha';
import { planCapture, type CaptureExtras } from '../core/capture';
import { NotFoundError, UnsupportedMediaTypeError } from '../core/errors';
import { formIdSchema, type StoredForm } from '../core/form';
import {
  IDEMPOTENCY_TTL_SECONDS,
  PROVIDER_EVENT_TTL_SECONDS,
  parseIdempotencyKey,
  providerEventKey,
  replay,
  requestHash,
} from '../core/idempotency';
import { leadIdFor } from '../core/lead';
import { providerFor, type Delivery } from '../core/providers';
import { MAX_BODY_BYTES, isSpam, normalizeEmail, parseFields, readSubmission, type Submission } from '../core/submission';
import { keyHolder } from './shared/key-holder';
import { verifyCaptcha } from './shared/captcha';
import { captchaOf, countSpam, getForm, signingSecretOf } from './shared/forms-repository';
import { countSubmission } from './shared/rate-limits';
import { foldSubmission } from './shared/fold-submission';
import { getActiveRules } from './shared/rules-repository';
import { httpHandler, type HttpRequest, type HttpResponse } from './shared/http';
import { FORM_MEDIA_TYPE, MULTIPART_MEDIA_TYPE } from './shared/http-body';
import { parseMultipart } from './shared/multipart';
import { countMetric } from './shared/business-metrics';
import { correlate, logger } from './shared/observability';
import { IdempotencyKeyUsedError, getIdempotencyRecord, saveLead } from './shared/leads-repository';
import { secretEnv, secretValue } from './shared/secrets';
import { acceptSubmission } from './shared/submissions-repository';

/**
 * POST (and OPTIONS) /v1/forms/{formId}/submissions: a submission in the form's provider's format
 * (leadflow's own, or a form tool's webhook), verified with its signature scheme when the form has
 * a secret, deduplicated by the provider's event id or an Idempotency-Key.
 *
 * A public submission (unsigned, no API key) is accepted with one write of the submission and
 * answered `202 {submissionId}` at once, the same for a new address, a known one and spam: the
 * table stream's consumer folds it into its lead under the form's update policy. A trusted one
 * (a signed form, or `Authorization: Bearer` with a leads:write key) is stored on its lead now and
 * learns the lead id and whether the address was known.
 */
export const handler = httpHandler(
  async (request) => {
    const form = await formOf(request);
    if (request.method === 'OPTIONS') return { status: 204 };

    const now = new Date();
    const provider = providerFor(form.provider);
    const delivery = deliveryOf(request);
    if (!provider.mediaTypes.includes(delivery.mediaType)) throw new UnsupportedMediaTypeError([...provider.mediaTypes]);
    const signingSecret = await signingSecretOf(form);
    if (signingSecret) provider.verify(delivery, signingSecret, now);
    // No gateway authorizer on this public route: a key, when sent, is checked here (401/403 if it is not good).
    const keyed = request.headers.authorization !== undefined && (await keyHolder(request.headers.authorization, 'leads:write'), true);
    const trusted = signingSecret !== undefined || keyed;
    const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);

    // Abuse limits hold for what nobody vouches for: counted before anything is read or stored.
    if (!trusted) {
      const rateKey = `leadflow:rate:${await secretValue(secretEnv.leadIdKey)}`;
      await countSubmission(form.formId, { address: request.sourceIp, hashKey: rateKey }, form.rateLimit, now);
    }
    const received = provider.read(delivery, form.fieldMap);
    const parsed = parseFields(received.fields);
    // The CAPTCHA token is checked below, never kept as lead data.
    const captcha = trusted ? undefined : await captchaOf(form);
    const { token: captchaToken, rest: fields } = captcha ? takeCaptchaToken(parsed, captcha.provider) : { token: undefined, rest: parsed };
    if (isSpam(fields, form.honeypotField)) {
      await countSpam(form.formId);
      countMetric('SpamSubmissions');
      logger.info('spam submission dropped', { formId: form.formId });
      // Answer exactly like a real capture so bots learn nothing.
      return answer(request, form, { submissionId: submissionIdFor(form.formId, undefined) });
    }
    if (captcha) await verifyCaptcha(captcha, captchaToken, request.sourceIp);
    const { submission, notes } = readSubmission(fields, [form.honeypotField]);
    const extras: CaptureExtras = {
      provider: form.provider,
      notes: [...(received.notes ?? []), ...notes],
      engagement: (received.engagement ?? []).map((event) => ({ ...event, at: event.at ?? now.toISOString() })),
    };
    const once: Once | undefined = received.eventId
      ? { ...providerEventKey(form.provider, received.eventId), ttlSeconds: PROVIDER_EVENT_TTL_SECONDS }
      : idempotencyKey
        ? { key: idempotencyKey, hash: requestHash([form.formId, request.rawBody]), ttlSeconds: IDEMPOTENCY_TTL_SECONDS }
        : undefined;
    const submissionId = submissionIdFor(form.formId, once?.key);

    if (!trusted) {
      await acceptSubmission({
        submissionId,
        formId: form.formId,
        policy: form.updatePolicy,
        consent: { text: form.consentText, doubleOptIn: form.doubleOptIn },
        submission,
        extras: { ...extras },
        receivedAt: now.toISOString(),
        requestHash: once?.hash,
        keepSeconds: once?.ttlSeconds ?? IDEMPOTENCY_TTL_SECONDS,
      });
      countMetric('SubmissionsAccepted');
      logger.info('submission accepted', { formId: form.formId, provider: form.provider });
      return answer(request, form, { submissionId });
    }
    const result = await capture(form, submissionId, submission, extras, once);
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
async function formOf(request: HttpRequest): Promise<StoredForm> {
  const formId = formIdSchema.safeParse(request.pathParameters.formId);
  const form = formId.success ? await getForm(formId.data) : undefined;
  if (!form) throw new NotFoundError('there is no such form');
  return form;
}

/** An idempotency key (a client's, or a provider's event id) and how long it holds. */
interface Once {
  key: string;
  hash: string;
  ttlSeconds: number;
}

interface CaptureAnswer {
  submissionId: string;
  leadId?: string;
  duplicate?: boolean;
}

/** Random, or fixed by the idempotency key so a retry names the same submission; never derived from the email. */
function submissionIdFor(formId: string, key: string | undefined): string {
  const id = key === undefined ? randomBytes(16) : createHash('sha256').update(`${formId}\n${key}`).digest();
  return `sb_${id.toString('base64url').slice(0, 22)}`;
}

/**
 * A trusted submission, stored now: optimistic capture (one conditional write for a new lead, a
 * transaction with the idempotency record when a key is given; a known lead is read and updated
 * from the version read). A used idempotency key replays the first answer.
 */
async function capture(form: StoredForm, submissionId: string, submission: Submission, extras: CaptureExtras, once: Once | undefined) {
  const leadId = leadIdFor(normalizeEmail(submission.email), await secretValue(secretEnv.leadIdKey));
  correlate({ leadId });
  const rules = await getActiveRules();
  let replayed: CaptureAnswer | undefined;
  const plan = await foldSubmission(
    leadId,
    (existing) => planCapture(existing, submission, form, new Date(), rules, extras, { leadId, policy: 'overwrite', submissionId }),
    async ({ lead, duplicate }) => {
      const body = { submissionId, leadId, duplicate };
      const record = once && { scope: form.formId, key: once.key, ttlSeconds: once.ttlSeconds, now: new Date() };
      try {
        // The lead is the one durable write; its history entry and workflow follow from the table stream.
        await saveLead(lead, [], record && { ...record, record: { requestHash: once.hash, status: 202, body } });
      } catch (error) {
        const stored = error instanceof IdempotencyKeyUsedError && once ? await getIdempotencyRecord(form.formId, once.key) : undefined;
        // Expired between the two calls: try again.
        if (!stored || !once) throw error;
        replayed = replay(stored, once.hash).body as unknown as CaptureAnswer;
      }
    },
    (error) => error instanceof IdempotencyKeyUsedError,
  );
  return replayed ?? { submissionId, leadId, duplicate: plan.duplicate };
}

function answer(request: HttpRequest, form: StoredForm, result: CaptureAnswer): HttpResponse {
  if (form.provider === 'generic' && form.redirectUrl && isBrowserFormPost(request)) {
    const location = new URL(form.redirectUrl);
    location.searchParams.set('submissionId', result.submissionId);
    return { status: 303, headers: { location: location.toString() } };
  }
  return { status: 202, json: result };
}

/** A plain HTML form post (urlencoded or multipart), from a browser that wants a page back. */
function isBrowserFormPost(request: HttpRequest): boolean {
  return [FORM_MEDIA_TYPE, MULTIPART_MEDIA_TYPE].includes(request.form.mediaType) && (request.headers.accept ?? '').includes('text/html');
}
