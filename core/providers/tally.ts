import { InvalidSignatureError, ValidationError } from '../errors';
import {
  answerText,
  hmacSha256,
  jsonObjectOf,
  nameAnswers,
  requiredHeader,
  reserializedJson,
  signaturesMatch,
  utmFieldOf,
  type LabelledAnswer,
} from './shared';
import type { Delivery, FieldMap, ProviderAdapter, ProviderSubmission } from './types';

/**
 * Tally's webhook: a JSON event whose `data.fields` are typed, labelled answers (`INPUT_EMAIL`,
 * `INPUT_PHONE_NUMBER`, `HIDDEN_FIELDS`...). Choices arrive as option ids, resolved through the
 * field's `options`. A payment block adds the payer's name and email: someone who paid, not
 * necessarily the respondent, so they are kept only when the field map names them. Signed with
 * `Tally-Signature: <base64 HMAC-SHA256>`; Tally's own code signs `JSON.stringify` of the parsed
 * body, so that is accepted when the raw body does not match.
 */

const fieldsExpected = 'a Tally delivery has data.fields';

export const tallyProvider: ProviderAdapter = {
  id: 'tally',
  mediaTypes: ['application/json'],

  read(delivery: Delivery, fieldMap: FieldMap): ProviderSubmission {
    const body = jsonObjectOf(delivery, 'Tally');
    const data = body.data;
    if (!isObject(data)) throw new ValidationError(fieldsExpected, [{ path: 'data', message: 'is not an object' }]);
    if (!Array.isArray(data.fields)) throw new ValidationError(fieldsExpected, [{ path: 'data.fields', message: 'is not a list' }]);

    const notes: string[] = [];
    const answers = (data.fields as unknown[]).flatMap((field) => labelledAnswer(field, fieldMap, notes));
    const submission: ProviderSubmission = { fields: nameAnswers(answers, fieldMap) };
    if (typeof body.eventId === 'string' && body.eventId !== '') submission.eventId = body.eventId;
    if (notes.length > 0) submission.notes = notes;
    return submission;
  },

  verify(delivery: Delivery, secret: string): void {
    const header = requiredHeader(delivery, 'Tally-Signature').trim();
    const reserialized = reserializedJson(delivery.rawBody);
    const bodies = reserialized === undefined || reserialized === delivery.rawBody ? [delivery.rawBody] : [delivery.rawBody, reserialized];
    if (!bodies.some((body) => signaturesMatch(hmacSha256(secret, body, 'base64'), header))) {
      throw new InvalidSignatureError("the Tally-Signature does not match the body and the form's secret");
    }
  },
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function labelledAnswer(field: unknown, fieldMap: FieldMap, notes: string[]): LabelledAnswer[] {
  if (!isObject(field) || typeof field.key !== 'string' || field.value === null || field.value === undefined) return [];
  const key = field.key;
  const label = typeof field.label === 'string' && field.label !== '' ? field.label : key;
  const type = typeof field.type === 'string' ? field.type : '(none)';
  const keys = [key, label];

  switch (type) {
    case 'INPUT_EMAIL':
      return scalar(keys, label, field.value, 'email');
    case 'INPUT_PHONE_NUMBER':
      return scalar(keys, label, field.value, 'phone');
    case 'HIDDEN_FIELDS':
      // The label is the hidden field's name: `utm_source` and the like are the lead's attribution.
      return scalar(keys, label, field.value, utmFieldOf(label));
    case 'CALCULATED_FIELDS':
      // Computed by the form's logic, not answered: kept only under a name the field map gives.
      return scalar(keys, label, field.value, undefined, true);
    case 'PAYMENT':
      // Said once, on the payer's email: price, currency and link are not about the lead.
      if (key.endsWith('_email') && !keys.some((name) => Object.hasOwn(fieldMap, name))) {
        notes.push(`The payer's email and name in "${label.replace(/\s*\(email\)$/, '')}" were not taken as the lead's.`);
      }
      return scalar(keys, label, field.value, undefined, true);
    case 'CHECKBOXES':
      // Tally sends the ticked options once as a list, then once more as one true/false entry per option.
      return typeof field.value === 'boolean' ? [] : scalar(keys, label, chosenTexts(field.value, optionsOf(field.options)));
    case 'MULTIPLE_CHOICE':
    case 'DROPDOWN':
    case 'MULTI_SELECT':
    case 'RANKING':
      return scalar(keys, label, chosenTexts(field.value, optionsOf(field.options)));
    case 'MATRIX':
      return scalar(keys, label, matrixText(field.value, optionsOf(field.rows), optionsOf(field.columns)));
    case 'FILE_UPLOAD':
      notes.push(`The files uploaded to "${label}" were not kept.`);
      return [];
    case 'SIGNATURE':
      notes.push(`The signature drawn in "${label}" was not kept.`);
      return [];
    default: {
      const answer = scalar(keys, label, field.value);
      if (answer.length === 0) notes.push(`The answer to "${label}" (a Tally ${type} field) was not kept.`);
      return answer;
    }
  }
}

function scalar(keys: string[], label: string, raw: unknown, leadField?: string, onlyIfMapped?: boolean): LabelledAnswer[] {
  const value = answerText(raw);
  if (value === undefined) return [];
  const answer: LabelledAnswer = { keys, label, value };
  if (leadField !== undefined) answer.leadField = leadField;
  if (onlyIfMapped === true) answer.onlyIfMapped = true;
  return [answer];
}

function optionsOf(raw: unknown): Map<string, string> {
  const options = new Map<string, string>();
  if (!Array.isArray(raw)) return options;
  for (const option of raw as unknown[]) {
    if (isObject(option) && typeof option.id === 'string' && typeof option.text === 'string') options.set(option.id, option.text);
  }
  return options;
}

/** Option ids to their texts, in the order sent (a ranking's order); an id Tally did not list is kept as sent. */
function chosenTexts(value: unknown, options: ReadonlyMap<string, string>): unknown {
  return Array.isArray(value) ? value.map((id: unknown) => (typeof id === 'string' ? (options.get(id) ?? id) : id)) : value;
}

/** `{ rowId: [columnId] }` as "Quality: Satisfied; Speed: Neutral". */
function matrixText(value: unknown, rows: ReadonlyMap<string, string>, columns: ReadonlyMap<string, string>): string | undefined {
  if (!isObject(value)) return undefined;
  const lines = Object.entries(value).flatMap(([rowId, chosen]) => {
    const text = answerText(chosenTexts(chosen, columns));
    return text === undefined ? [] : [`${rows.get(rowId) ?? rowId}: ${text}`];
  });
  return lines.length > 0 ? lines.join('; ') : undefined;
}
