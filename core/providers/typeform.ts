import { InvalidSignatureError, ValidationError } from '../errors';
import {
  answerText,
  hmacSha256,
  jsonObjectOf,
  nameAnswers,
  requiredHeader,
  signaturesMatch,
  utmFieldOf,
  type LabelledAnswer,
} from './shared';
import type { Delivery, FieldMap, ProviderAdapter, ProviderSubmission } from './types';

/**
 * Typeform's webhook: a JSON `form_response` whose `answers` are typed (`email`, `phone_number`,
 * `text`, `choice`...) and point at `definition.fields` for their question's title and ref. Hidden
 * fields arrive in `hidden`. `variables` and `calculated` are the form's logic (a variable may well
 * be called `name`), never the respondent's answers, so they are kept only when the field map names
 * them. Signed with `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>`.
 */

interface FieldDefinition {
  title?: string;
  ref?: string;
}

const answersExpected = 'a Typeform delivery has form_response.answers';

export const typeformProvider: ProviderAdapter = {
  id: 'typeform',
  mediaTypes: ['application/json'],

  read(delivery: Delivery, fieldMap: FieldMap): ProviderSubmission {
    const body = jsonObjectOf(delivery, 'Typeform');
    const response = body.form_response;
    if (!isObject(response)) throw new ValidationError(answersExpected, [{ path: 'form_response', message: 'is not an object' }]);
    const answers = response.answers;
    if (!Array.isArray(answers)) throw new ValidationError(answersExpected, [{ path: 'form_response.answers', message: 'is not a list' }]);

    const notes: string[] = [];
    if (body.event_type === 'form_response_partial')
      notes.push('Typeform sent a partial response: the respondent had not finished the form.');
    const definitions = definitionsOf(response.definition);
    const labelled = [
      ...hiddenAnswers(response.hidden),
      ...answers.flatMap((answer: unknown) => labelledAnswer(answer, definitions, notes)),
      ...variableAnswers(response.variables),
    ];

    const submission: ProviderSubmission = { fields: nameAnswers(labelled, fieldMap) };
    // The delivery's own id: a redelivery repeats it, while a partial and the complete response share `token`.
    if (typeof body.event_id === 'string' && body.event_id !== '') submission.eventId = body.event_id;
    if (notes.length > 0) submission.notes = notes;
    return submission;
  },

  verify(delivery: Delivery, secret: string): void {
    const header = requiredHeader(delivery, 'Typeform-Signature').trim();
    if (!header.startsWith('sha256=')) throw new InvalidSignatureError('the Typeform-Signature header must be sha256=<base64 HMAC-SHA256>');
    const expected = `sha256=${hmacSha256(secret, delivery.rawBody, 'base64')}`;
    if (!signaturesMatch(expected, header)) {
      throw new InvalidSignatureError("the Typeform-Signature does not match the body and the form's secret");
    }
  },
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * `definition.fields` by id: answers carry only the field's id and type, the title lives here. A
 * question group (a contact-info block) holds its own questions in `properties.fields`.
 */
function definitionsOf(definition: unknown): Map<string, FieldDefinition> {
  const byId = new Map<string, FieldDefinition>();
  const collect = (fields: unknown) => {
    if (!Array.isArray(fields)) return;
    for (const field of fields as unknown[]) {
      if (!isObject(field)) continue;
      const id = stringOf(field.id);
      if (id !== undefined) byId.set(id, { title: stringOf(field.title), ref: stringOf(field.ref) });
      if (isObject(field.properties)) collect(field.properties.fields);
    }
  };
  if (isObject(definition)) collect(definition.fields);
  return byId;
}

/** Hidden fields (`?utm_source=...` on the form's link) by their name; UTM parameters become the lead's attribution. */
function hiddenAnswers(hidden: unknown): LabelledAnswer[] {
  if (!isObject(hidden)) return [];
  return Object.entries(hidden).flatMap(([name, raw]) => {
    const value = answerText(raw);
    return value === undefined ? [] : [{ keys: [name], label: name, value, leadField: utmFieldOf(name) }];
  });
}

/** Logic variables (`score`, or one called `name` holding "typeform"): kept only under a name the field map gives them. */
function variableAnswers(variables: unknown): LabelledAnswer[] {
  if (!Array.isArray(variables)) return [];
  return variables.flatMap((variable: unknown) => {
    if (!isObject(variable)) return [];
    const key = stringOf(variable.key);
    const value = answerText(variable.type === 'number' ? variable.number : variable.text);
    return key === undefined || value === undefined ? [] : [{ keys: [key], label: key, value, onlyIfMapped: true }];
  });
}

function labelledAnswer(answer: unknown, definitions: ReadonlyMap<string, FieldDefinition>, notes: string[]): LabelledAnswer[] {
  if (!isObject(answer) || !isObject(answer.field)) return [];
  const id = stringOf(answer.field.id) ?? '';
  const definition = definitions.get(id) ?? {};
  const ref = definition.ref ?? stringOf(answer.field.ref);
  const label = definition.title ?? ref ?? id;
  const type = stringOf(answer.type) ?? '(none)';
  const value = valueOf(answer, type);
  if (value === undefined) {
    notes.push(unkeptNote(type, label));
    return [];
  }
  const keys = [id, ...(ref === undefined ? [] : [ref]), label];
  return [{ keys, label, value, leadField: leadFieldOfType(type) }];
}

/** The answer types that say what the value is, whatever the question's wording. */
function leadFieldOfType(type: string): string | undefined {
  if (type === 'email') return 'email';
  if (type === 'phone_number') return 'phone';
  return undefined;
}

/** An answer's value sits under a key named after its type (`{ type: 'email', email: '...' }`). */
function valueOf(answer: Record<string, unknown>, type: string): string | undefined {
  const raw = answer[type];
  switch (type) {
    case 'choice':
      return isObject(raw) ? answerText(raw.label ?? raw.other) : undefined;
    case 'choices': {
      if (!isObject(raw)) return undefined;
      const labels = Array.isArray(raw.labels) ? (raw.labels as unknown[]) : [];
      return answerText(raw.other === undefined ? labels : [...labels, raw.other]);
    }
    case 'text':
    case 'email':
    case 'phone_number':
    case 'url':
    case 'date':
    case 'number':
    case 'boolean':
      return answerText(raw);
    default:
      // file_url, payment and any type added later: not a value a lead keeps.
      return undefined;
  }
}

function unkeptNote(type: string, label: string): string {
  if (type === 'file_url') return `The file uploaded to "${label}" was not kept.`;
  if (type === 'payment') return `The payment made in "${label}" was not kept.`;
  return `The answer to "${label}" (a Typeform ${type} answer) was not kept.`;
}
