import { ValidationError } from '../errors';
import { answerText, splitFullName, verifyToken } from './shared';
import type { Delivery, FieldMap, ProviderAdapter, ProviderSubmission } from './types';

/**
 * Jotform's webhook: a multipart (or urlencoded) POST of `formID`, `submissionID`, `formTitle`,
 * `pretty` and `rawRequest`, the answers as a JSON string keyed `q<question id>_<slug>`. The slug
 * comes from the question's label and compound answers are objects (name, phone, address, date),
 * so the slug's meaning and the answer's shape say what a value is. Jotform signs nothing, so the
 * form's token authenticates a delivery.
 */

type Role = 'email' | 'name' | 'phone';

/** Slugs (lowercased, letters and digits only, question-number suffix dropped) that mean the lead's own details. */
const roleSlugs: Record<Role, ReadonlySet<string>> = {
  email: new Set(['email', 'emailaddress', 'youremail', 'workemail', 'businessemail']),
  name: new Set(['name', 'fullname', 'yourname', 'contactname']),
  phone: new Set(['phone', 'phonenumber', 'yourphone', 'mobile', 'mobilenumber', 'telephone']),
};

const utmSlugs: Record<string, string> = {
  utmsource: 'utm_source',
  utmmedium: 'utm_medium',
  utmcampaign: 'utm_campaign',
  utmterm: 'utm_term',
  utmcontent: 'utm_content',
};

interface Answer {
  /** `q<id>_<slug>`, as in `rawRequest`. */
  key: string;
  slug: string;
  /** The slug as a meaning: `phoneNumber5` -> `phonenumber`. */
  meaning: string;
  value: unknown;
  mapped?: string;
}

export const jotformProvider: ProviderAdapter = {
  id: 'jotform',
  mediaTypes: ['multipart/form-data', 'application/x-www-form-urlencoded'],

  read(delivery: Delivery, fieldMap: FieldMap): ProviderSubmission {
    const raw = rawRequestOf(delivery);
    const uploads = uploadKeysOf(raw);
    const answers = answersOf(raw, fieldMap);
    const roles = chooseRoles(answers);
    const fields: Array<[string, string]> = [];
    const notes: string[] = [];
    const unkeptFiles = new Set<string>();
    for (const answer of answers) {
      if (answer.mapped === undefined && (uploads.has(answer.key) || isUploadAnswer(answer))) {
        if (!isEmpty(answer.value)) unkeptFiles.add(answer.slug);
        continue;
      }
      const emitted = answerFields(answer, roles);
      if (emitted === undefined) notes.push(`The Jotform answer "${answer.key}" is not text and was not kept.`);
      else fields.push(...emitted);
    }
    // A file part named like its question (`q7_upload`) is the same upload as the answer.
    for (const file of delivery.files) unkeptFiles.add(/^q\d+_(.+)$/.exec(file.field)?.[1] ?? file.field);
    for (const name of unkeptFiles) notes.push(`The file uploaded to "${name}" was not kept: leadflow stores no files.`);

    const submission: ProviderSubmission = { fields };
    const submissionId = delivery.fields.find(([name]) => name === 'submissionID')?.[1];
    if (submissionId) submission.eventId = submissionId;
    if (notes.length > 0) submission.notes = notes;
    return submission;
  },

  // Jotform has no signing secret: the form's token stands in.
  verify(delivery: Delivery, secret: string): void {
    verifyToken(delivery, secret);
  },
};

/**
 * `rawRequest`, decoded. Some deliveries arrive with their quotes backslash-escaped (Jotform's own
 * sample receiver unescapes `\"` and `\'`); unescaping a well-formed body would break the JSON
 * strings it holds, so plain JSON is tried first.
 */
function rawRequestOf(delivery: Delivery): Record<string, unknown> {
  const text = delivery.fields.find(([name]) => name === 'rawRequest')?.[1];
  const expected = 'a Jotform delivery has a rawRequest field holding the answers as a JSON object';
  if (text === undefined) throw new ValidationError(expected, [{ path: 'rawRequest', message: 'is missing' }]);
  const parsed = parseJson(text) ?? parseJson(text.replace(/\\(["'])/g, '$1'));
  if (parsed === undefined) throw new ValidationError(expected, [{ path: 'rawRequest', message: 'is not JSON' }]);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError(expected, [{ path: 'rawRequest', message: 'is not a JSON object' }]);
  }
  return parsed as Record<string, unknown>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The question answers (`q<id>_<slug>`), in order; Jotform's other keys are its own bookkeeping. */
function answersOf(raw: Record<string, unknown>, fieldMap: FieldMap): Answer[] {
  const answers: Answer[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const match = /^q\d+_(.+)$/.exec(key);
    const slug = match?.[1];
    if (slug === undefined) continue;
    const meaning = slug
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .replace(/\d+$/, '');
    const mapped = mappedName(fieldMap, key) ?? mappedName(fieldMap, slug);
    answers.push(mapped === undefined ? { key, slug, meaning, value } : { key, slug, meaning, value, mapped });
  }
  return answers;
}

function mappedName(fieldMap: FieldMap, key: string): string | undefined {
  return Object.hasOwn(fieldMap, key) ? fieldMap[key] : undefined;
}

/**
 * Which answer is the lead's email, name and phone. The slug's meaning decides (the first such
 * answer: a referrer's email or name, slugged `referrerEmail`, is never taken for the lead's);
 * without one, a single answer of the name or phone shape is the lead's, several are not guessed
 * between. A field map that targets the role wins over both.
 */
function chooseRoles(answers: Answer[]): Map<Answer, Role> {
  const roles = new Map<Answer, Role>();
  const targets = new Set(answers.map((answer) => answer.mapped));
  const roleMapped: Record<Role, boolean> = {
    email: targets.has('email'),
    name: targets.has('firstName') || targets.has('lastName'),
    phone: targets.has('phone'),
  };
  const free = answers.filter((answer) => answer.mapped === undefined && !isEmpty(answer.value));
  for (const role of ['email', 'name', 'phone'] as const) {
    if (roleMapped[role]) continue;
    const bySlug = free.find((answer) => !roles.has(answer) && roleSlugs[role].has(answer.meaning));
    const byShape = role === 'email' ? [] : free.filter((answer) => !roles.has(answer) && shapeOf(answer.value) === role);
    const chosen = bySlug ?? (byShape.length === 1 ? byShape[0] : undefined);
    if (chosen !== undefined) roles.set(chosen, role);
  }
  return roles;
}

type Shape = 'name' | 'phone' | 'address' | 'date' | 'other';

function shapeOf(value: unknown): Shape {
  if (!isRecord(value)) return 'other';
  if ('first' in value || 'last' in value) return 'name';
  if ('addr_line1' in value || 'postal' in value || 'city' in value) return 'address';
  if ('full' in value || ('area' in value && 'phone' in value)) return 'phone';
  if ('year' in value && 'month' in value && 'day' in value) return 'date';
  return 'other';
}

/** The named values of one answer, or undefined when it holds nothing a lead keeps as text. */
function answerFields(answer: Answer, roles: Map<Answer, Role>): Array<[string, string]> | undefined {
  const { value } = answer;
  if (answer.mapped !== undefined) return textOrEmpty(answer.mapped, compoundText(value));
  const role = roles.get(answer);
  if (role === 'name') return nameFields(value);
  if (role !== undefined) return textOrEmpty(role, compoundText(value));
  // Own keys only: a question meaning `constructor` is no UTM parameter.
  const utm = Object.hasOwn(utmSlugs, answer.meaning) ? utmSlugs[answer.meaning] : undefined;
  if (utm !== undefined) return textOrEmpty(utm, compoundText(value));
  if (shapeOf(value) === 'address' && isRecord(value)) return addressFields(answer.slug, value);
  return textOrEmpty(answer.slug, compoundText(value));
}

function textOrEmpty(name: string, text: string | undefined): Array<[string, string]> | undefined {
  if (text === undefined) return undefined;
  return text === '' ? [] : [[name, text]];
}

/** A name answer: `{first, middle, last}` (prefix and suffix dropped), or a full name typed as text. */
function nameFields(value: unknown): Array<[string, string]> | undefined {
  let parts: { firstName?: string; lastName?: string };
  if (isRecord(value)) {
    parts = { firstName: joinText(' ', value.first, value.middle), lastName: joinText(' ', value.last) };
  } else {
    const text = answerText(value);
    if (text === undefined) return undefined;
    parts = splitFullName(text);
  }
  const fields: Array<[string, string]> = [];
  if (parts.firstName) fields.push(['firstName', parts.firstName]);
  if (parts.lastName) fields.push(['lastName', parts.lastName]);
  return fields;
}

/** The country is a lead field; the rest of the address is kept whole under the question's slug. */
function addressFields(slug: string, value: Record<string, unknown>): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  const street = joinText(', ', value.addr_line1, value.addr_line2, value.city, value.state, value.postal);
  if (street) fields.push([slug, street]);
  const country = joinText(' ', value.country);
  if (country) fields.push(['country', country]);
  return fields;
}

/** A compound answer as one text: a phone as Jotform writes it in full, a date as YYYY-MM-DD, else its parts. */
function compoundText(value: unknown): string | undefined {
  if (!isRecord(value)) return Array.isArray(value) && value.length === 0 ? '' : answerText(value);
  switch (shapeOf(value)) {
    case 'name':
      return joinText(' ', value.prefix, value.first, value.middle, value.last, value.suffix);
    case 'phone': {
      const full = joinText(' ', value.full);
      if (full) return full;
      const area = joinText(' ', value.area);
      return joinText(' ', value.country, area ? `(${area})` : undefined, value.phone);
    }
    case 'date':
      return joinText('-', value.year, value.month, value.day);
    case 'address':
      return joinText(', ', value.addr_line1, value.addr_line2, value.city, value.state, value.postal, value.country);
    case 'other': {
      const parts = Object.values(value).map(answerText);
      if (parts.some((part) => part === undefined)) return undefined;
      return joinText(', ', ...parts);
    }
  }
}

/** The non-empty texts among `parts`, joined ('' when there are none). */
function joinText(separator: string, ...parts: unknown[]): string {
  return parts
    .map((part) => answerText(part)?.trim())
    .filter((part): part is string => part !== undefined && part !== '')
    .join(separator);
}

/** The question keys Jotform lists under `temp_upload` (its file upload questions). */
function uploadKeysOf(raw: Record<string, unknown>): Set<string> {
  return new Set(isRecord(raw.temp_upload) ? Object.keys(raw.temp_upload) : []);
}

/** A file upload question: slugged after "upload", or answered only with links to uploaded files. */
function isUploadAnswer(answer: Answer): boolean {
  if (answer.meaning.includes('upload')) return true;
  const links = Array.isArray(answer.value) ? (answer.value as unknown[]) : [answer.value];
  return links.length > 0 && links.every((link) => typeof link === 'string' && /^https?:\/\/\S*\/uploads\//i.test(link));
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.every(isEmpty);
  if (isRecord(value)) return Object.values(value).every(isEmpty);
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
