import { createHash } from 'node:crypto';
import { ValidationError } from '../errors';
import { answerText, splitFullName, verifyToken } from './shared';
import type { Delivery, FieldMap, ProviderAdapter, ProviderSubmission } from './types';

/**
 * Unbounce's form-submit webhook: a urlencoded POST of `page_id`, `page_url`, `page_name`,
 * `variant`, `data.json` (the form as JSON: field id -> array of values) and `data.xml` (the same
 * as XML, not read). Field ids are whatever the page's author named them, so only their meaning
 * says what a value is; Unbounce signs nothing, so the form's token authenticates a delivery.
 */

/** Keys Unbounce adds to `data.json` about the page and the visitor: context, not answers. */
const systemKeys = new Set(['ip_address', 'page_uuid', 'variant', 'time_submitted', 'date_submitted', 'page_url', 'page_name']);

/** Field ids (lowercased, without spaces, `_` and `-`) that mean the visitor's own address or full name. */
const emailIds = new Set(['email', 'emailaddress', 'youremail', 'workemail', 'businessemail']);
const fullNameIds = new Set(['name', 'fullname', 'yourname']);

export const unbounceProvider: ProviderAdapter = {
  id: 'unbounce',
  mediaTypes: ['application/x-www-form-urlencoded'],

  read(delivery: Delivery, fieldMap: FieldMap): ProviderSubmission {
    const data = formDataOf(delivery);
    const notes: string[] = [];
    const fields = answerFields(data, fieldMap, notes);
    const pageUrl = firstField(delivery, 'page_url') ?? firstValue(data.page_url);
    if (!Object.hasOwn(fieldMap, 'page_url') && pageUrl) fields.push(['landingPage', pageUrl]);

    const submission: ProviderSubmission = { fields };
    const eventId = eventIdOf(delivery, data, fields);
    if (eventId !== undefined) submission.eventId = eventId;
    if (notes.length > 0) submission.notes = notes;
    return submission;
  },

  // Unbounce has no signing secret (only source IPs and custom headers): the form's token stands in.
  verify(delivery: Delivery, secret: string): void {
    verifyToken(delivery, secret);
  },
};

/** `data.json`, parsed: a JSON object of field id -> values, or a 400 saying what was expected. */
function formDataOf(delivery: Delivery): Record<string, unknown> {
  const text = firstField(delivery, 'data.json');
  const expected = 'an Unbounce delivery has a data.json field holding the form as a JSON object';
  if (text === undefined) throw new ValidationError(expected, [{ path: 'data.json', message: 'is missing' }]);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ValidationError(expected, [{ path: 'data.json', message: 'is not JSON' }]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ValidationError(expected, [{ path: 'data.json', message: 'is not a JSON object' }]);
  }
  return data as Record<string, unknown>;
}

/**
 * The answers in the body's order: the field map first, then the field ids that mean the email or a
 * full name (only the first of each: a second one, a friend's email, keeps its id), else the id
 * itself, which the platform's aliases map (`company_name`, `phone_number`, `utm_source`...).
 */
function answerFields(data: Record<string, unknown>, fieldMap: FieldMap, notes: string[]): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  const mappedTargets = new Set(Object.values(fieldMap));
  let emailTaken = mappedTargets.has('email');
  let nameTaken = mappedTargets.has('firstName') || mappedTargets.has('lastName');
  for (const [id, raw] of Object.entries(data)) {
    const mapped = Object.hasOwn(fieldMap, id) ? fieldMap[id] : undefined;
    if (mapped === undefined && systemKeys.has(id)) continue;
    const value = valueText(raw);
    if (value === undefined) {
      notes.push(`The Unbounce field "${id}" does not hold text and was not kept.`);
      continue;
    }
    if (value === '') continue;
    const meaning = id.toLowerCase().replace(/[\s_-]/g, '');
    if (mapped !== undefined) {
      fields.push([mapped, value]);
    } else if (!emailTaken && emailIds.has(meaning)) {
      emailTaken = true;
      fields.push(['email', value]);
    } else if (!nameTaken && fullNameIds.has(meaning)) {
      nameTaken = true;
      const { firstName, lastName } = splitFullName(value);
      if (firstName !== undefined) fields.push(['firstName', firstName]);
      if (lastName !== undefined) fields.push(['lastName', lastName]);
    } else {
      fields.push([id, value]);
    }
  }
  return fields;
}

/** Every value is documented as an array (a multi-select holds several); older pages sent bare strings. */
function valueText(raw: unknown): string | undefined {
  if (Array.isArray(raw) && raw.length === 0) return '';
  return answerText(raw);
}

function firstValue(raw: unknown): string | undefined {
  const value = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function firstField(delivery: Delivery, name: string): string | undefined {
  return delivery.fields.find(([field]) => field === name)?.[1];
}

/**
 * Unbounce gives no submission id. A retry resends the same page, variant, minute-precision
 * submission time and email, so their hash stands in for one: stable across retries, it only
 * merges the same person's submissions to one page variant within the same minute (a double
 * click). Without a submission time there is nothing to tell two submissions apart: no id.
 */
function eventIdOf(delivery: Delivery, data: Record<string, unknown>, fields: Array<[string, string]>): string | undefined {
  const date = firstValue(data.date_submitted);
  const time = firstValue(data.time_submitted);
  if (date === undefined || time === undefined) return undefined;
  const pageId = firstField(delivery, 'page_id') ?? firstValue(data.page_uuid) ?? '';
  const variant = firstField(delivery, 'variant') ?? firstValue(data.variant) ?? '';
  const email =
    fields
      .find(([name]) => name === 'email')?.[1]
      .trim()
      .toLowerCase() ?? '';
  return createHash('sha256')
    .update(JSON.stringify([pageId, variant, date, time, email]))
    .digest('hex');
}
