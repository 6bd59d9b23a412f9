import { InvalidSignatureError, ValidationError } from '../errors';
import {
  answerText,
  hmacSha256,
  jsonObjectOf,
  nameAnswers,
  requiredHeader,
  requireFresh,
  reserializedJson,
  signaturesMatch,
  verifyToken,
  type LabelledAnswer,
} from './shared';
import type { Delivery, FieldMap, ProviderAdapter, ProviderSubmission } from './types';

/**
 * Webflow's `form_submission` webhook: `payload.data` maps each input's name, as the site's designer
 * typed it ("First Name", "email", "Phone Number"), to its value; every input's schema type is a
 * plain text input, so names alone say what a value is. The legacy v1 body carries `data` and `_id`
 * at the top level. Webhooks of a Webflow app are signed (`x-webflow-timestamp` in milliseconds,
 * `x-webflow-signature` = hex HMAC-SHA256 of "<timestamp>:<body>"); those created in a site's
 * settings are not, so they carry the form's token instead.
 */

const SIGNATURE_WINDOW_SECONDS = 5 * 60;

const submissionExpected = 'a Webflow delivery is a form_submission event with payload.data';

export const webflowProvider: ProviderAdapter = {
  id: 'webflow',
  mediaTypes: ['application/json'],

  read(delivery: Delivery, fieldMap: FieldMap): ProviderSubmission {
    const submissionBody = submissionOf(jsonObjectOf(delivery, 'Webflow'));
    const notes: string[] = [];
    const elementIds = elementIdsOf(submissionBody.schema);
    const answers = Object.entries(submissionBody.data).flatMap(([name, raw]): LabelledAnswer[] => {
      if (raw === null || raw === undefined) return [];
      const value = answerText(raw);
      if (value === undefined) {
        notes.push(`The value of "${name}" (not text: a file or a list) was not kept.`);
        return [];
      }
      const elementId = elementIds.get(name);
      return [{ keys: elementId === undefined ? [name] : [name, elementId], label: name, value }];
    });

    const submission: ProviderSubmission = { fields: nameAnswers(answers, fieldMap) };
    if (submissionBody.id !== undefined) submission.eventId = submissionBody.id;
    if (notes.length > 0) submission.notes = notes;
    return submission;
  },

  verify(delivery: Delivery, secret: string, now: Date): void {
    const signed = delivery.headers['x-webflow-signature'] !== undefined || delivery.headers['x-webflow-timestamp'] !== undefined;
    if (!signed) {
      if (delivery.headers['x-leadflow-token'] === undefined && delivery.query.token === undefined) {
        throw new InvalidSignatureError(
          'this form requires an X-Webflow-Signature header (webhooks of a Webflow app) or its token (?token=<secret> in the webhook URL)',
        );
      }
      verifyToken(delivery, secret);
      return;
    }
    const signature = requiredHeader(delivery, 'X-Webflow-Signature').trim().toLowerCase();
    const timestamp = requiredHeader(delivery, 'X-Webflow-Timestamp').trim();
    // Webflow's own code signs `JSON.stringify` of the parsed body: accepted when the raw body does not match.
    const reserialized = reserializedJson(delivery.rawBody);
    const bodies = reserialized === undefined || reserialized === delivery.rawBody ? [delivery.rawBody] : [delivery.rawBody, reserialized];
    if (!bodies.some((body) => signaturesMatch(hmacSha256(secret, `${timestamp}:${body}`, 'hex'), signature))) {
      throw new InvalidSignatureError("the X-Webflow-Signature does not match the timestamp, the body and the form's secret");
    }
    requireFresh(/^\d{1,16}$/.test(timestamp) ? Number(timestamp) : Number.NaN, now, SIGNATURE_WINDOW_SECONDS, 'X-Webflow-Timestamp');
  },
};

interface WebflowSubmission {
  data: Record<string, unknown>;
  schema: unknown;
  id?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The v2 event's `payload`, or a legacy v1 body (`site`, `data`, `_id` at the top, no `triggerType`). */
function submissionOf(body: Record<string, unknown>): WebflowSubmission {
  if (body.triggerType === undefined && typeof body.site === 'string' && typeof body._id === 'string' && isObject(body.data)) {
    return { data: body.data, schema: undefined, ...idOf(body._id) };
  }
  if (body.triggerType !== 'form_submission') {
    throw new ValidationError(submissionExpected, [
      { path: 'triggerType', message: typeof body.triggerType === 'string' ? `is ${body.triggerType}` : 'is missing' },
    ]);
  }
  const payload = body.payload;
  if (!isObject(payload) || !isObject(payload.data)) {
    throw new ValidationError(submissionExpected, [{ path: 'payload.data', message: 'is not an object' }]);
  }
  return { data: payload.data, schema: payload.schema, ...idOf(payload.id) };
}

/** The form submission's id: the only id in the body, the same in every delivery of that submission. */
function idOf(id: unknown): { id?: string } {
  return typeof id === 'string' && id !== '' ? { id } : {};
}

/** `schema[]` as input name -> element id, so a field map can name an input by its stable element id. */
function elementIdsOf(schema: unknown): Map<string, string> {
  const ids = new Map<string, string>();
  if (!Array.isArray(schema)) return ids;
  for (const field of schema as unknown[]) {
    if (isObject(field) && typeof field.fieldName === 'string' && typeof field.fieldElementId === 'string') {
      ids.set(field.fieldName, field.fieldElementId);
    }
  }
  return ids;
}
