import * as z from 'zod';
import { ValidationError, detailsFromIssues, type ErrorDetail } from './errors';

/** The largest submission a form may send. */
export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_CUSTOM_FIELDS = 30;

/** A submitted field in whichever spelling a form builder uses, to its canonical name. */
const fieldAliases: Record<string, string> = {
  email: 'email',
  emailaddress: 'email',
  firstname: 'firstName',
  givenname: 'firstName',
  lastname: 'lastName',
  surname: 'lastName',
  familyname: 'lastName',
  company: 'company',
  companyname: 'company',
  organization: 'company',
  jobtitle: 'jobTitle',
  title: 'jobTitle',
  phone: 'phone',
  phonenumber: 'phone',
  country: 'country',
  industry: 'industry',
  companysize: 'companySize',
  employees: 'companySize',
  budget: 'budget',
  timeline: 'timeline',
  purchasetimeline: 'timeline',
  role: 'role',
  message: 'message',
  comments: 'message',
  need: 'message',
  consent: 'consent',
  utmsource: 'utm_source',
  utmmedium: 'utm_medium',
  utmcampaign: 'utm_campaign',
  utmterm: 'utm_term',
  utmcontent: 'utm_content',
  referrer: 'referrer',
  referer: 'referrer',
  landingpage: 'landingPage',
  pageurl: 'landingPage',
};

const shortText = z.string().trim().max(200, 'must be at most 200 characters');
const optionalShort = shortText.optional();

export const submissionSchema = z.object({
  email: z
    .string({ error: 'is required' })
    .trim()
    .max(254, 'must be at most 254 characters')
    .pipe(z.email({ error: 'is not a valid email address' })),
  firstName: optionalShort,
  lastName: optionalShort,
  company: optionalShort,
  jobTitle: optionalShort,
  phone: z
    .string()
    .trim()
    .max(40, 'must be at most 40 characters')
    .regex(/^[0-9+().\-\s]*$/, 'may hold only digits, spaces and + ( ) . -')
    .optional(),
  country: optionalShort,
  industry: optionalShort,
  companySize: optionalShort,
  budget: optionalShort,
  timeline: optionalShort,
  role: optionalShort,
  message: z.string().trim().max(5000, 'must be at most 5000 characters').optional(),
  consent: z
    .enum(['true', 'false', 'on', 'yes', 'no', '1', '0', ''])
    .transform((value) => ['true', 'on', 'yes', '1'].includes(value))
    .optional(),
  utm_source: optionalShort,
  utm_medium: optionalShort,
  utm_campaign: optionalShort,
  utm_term: optionalShort,
  utm_content: optionalShort,
  referrer: z.string().trim().max(2000, 'must be at most 2000 characters').optional(),
  landingPage: z.string().trim().max(2000, 'must be at most 2000 characters').optional(),
  customFields: z
    .record(
      z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'is not a usable field name'),
      z.string().max(1000, 'must be at most 1000 characters'),
    )
    .default({}),
});

export type Submission = z.infer<typeof submissionSchema>;

/**
 * Turns submitted values into text fields, in the order sent. Lists of scalars (a checkbox group
 * posted as JSON) are joined with ", "; nested objects give one field per member, named
 * `parent.member`; nulls are absent. Refuses only what no real form sends: NUL and other control
 * characters.
 */
export function parseFields(pairs: Iterable<[string, unknown]>): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  const problems: ErrorDetail[] = [];
  const add = (name: string, value: unknown, depth: number) => {
    if (hasControlCharacters(name)) {
      problems.push({ path: '(field name)', message: 'contains control characters' });
      return;
    }
    if (value === null || value === undefined) return;
    if (typeof value === 'object' && !Array.isArray(value) && depth < 2) {
      for (const [member, inner] of Object.entries(value)) add(`${name}.${member}`, inner, depth + 1);
      return;
    }
    const text = scalarText(value);
    if (text === undefined) {
      problems.push({ path: name, message: 'must be a string, number or boolean, or a list of them' });
    } else if (hasControlCharacters(text)) {
      problems.push({ path: name, message: 'contains control characters' });
    } else {
      fields.push([name, text.normalize('NFC')]);
    }
  };
  for (const [name, value] of pairs) add(name, value, 0);
  if (problems.length > 0) throw new ValidationError('the submission has invalid fields', problems);
  return fields;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const parts = value.map(scalarText);
    return parts.every((part) => part !== undefined) ? parts.join(', ') : undefined;
  }
  return undefined;
}

const allowedControls = new Set([0x09, 0x0a, 0x0d]);

/** NUL and C0/C1 controls other than tab, CR and LF (which a textarea legitimately sends). */
function hasControlCharacters(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if ((code <= 0x1f || (code >= 0x7f && code <= 0x9f)) && !allowedControls.has(code)) return true;
  }
  return false;
}

export interface ReadSubmission {
  submission: Submission;
  /** What was received but not kept as sent, in words for the lead's history (names only, never values). */
  notes: string[];
}

/** A field name reduced to what the alias table compares: `First Name`, `first_name`, `first-name` -> `firstname`. */
function aliasKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '');
}

/** A name a custom field can be stored under: letters, digits and `_ . -`, starting with a letter, 64 at most. */
export function customFieldName(name: string): string {
  const cleaned = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[^A-Za-z]+/, '')
    .replace(/_$/, '')
    .slice(0, 64);
  return cleaned === '' ? 'field' : cleaned;
}

/**
 * Maps submitted fields to the lead's fields and validates them, never refusing a submission over
 * its field names:
 * - a field whose name maps to a lead field (in any usual spelling) fills it; when two do (both
 *   `need` and `message`, `Email` and `email address`), the one named exactly as the lead field
 *   wins, else the first sent, and the other is kept as a custom field;
 * - other fields are kept as custom fields (a name repeated, as a checkbox group sends it, keeps
 *   every value, joined with ", "), up to MAX_CUSTOM_FIELDS: the first ones are kept and the
 *   notes say which were dropped;
 * - `ignored` names (the honeypot) are dropped; an empty optional field is an absent one.
 * Without an email address the submission is refused, naming the fields that were looked at.
 */
export function readSubmission(fields: Iterable<[string, string]>, ignored: string[] = []): ReadSubmission {
  const canonical = new Map<string, { value: string; exact: boolean; name: string }>();
  const custom = new Map<string, string>();
  const received: string[] = [];
  const keepCustom = (name: string, value: string) => {
    const key = customFieldName(name);
    const earlier = custom.get(key);
    custom.set(key, earlier === undefined ? value : `${earlier}, ${value}`);
  };
  for (const [name, value] of fields) {
    if (ignored.includes(name)) continue;
    received.push(name);
    const known = leadFieldOf(name);
    if (known === undefined) {
      keepCustom(name, value);
      continue;
    }
    // Plain forms send every input: an empty optional field is an absent one.
    if (value.trim() === '' && known !== 'email') continue;
    const exact = aliasKey(name) === aliasKey(known);
    const holder = canonical.get(known);
    if (holder === undefined) {
      canonical.set(known, { value, exact, name });
    } else if (exact && !holder.exact) {
      canonical.set(known, { value, exact, name });
      if (holder.value !== value) keepCustom(holder.name, holder.value);
    } else if (holder.value !== value) {
      keepCustom(name, value);
    }
  }

  const notes: string[] = [];
  const customEntries = [...custom];
  if (customEntries.length > MAX_CUSTOM_FIELDS) {
    const dropped = customEntries.slice(MAX_CUSTOM_FIELDS).map(([name]) => name);
    notes.push(`${dropped.length} more custom fields than the ${MAX_CUSTOM_FIELDS} kept were dropped: ${dropped.join(', ')}`);
  }
  if (!canonical.has('email')) {
    const lookedAt = received.length > 0 ? received.slice(0, 20).join(', ') : 'no fields at all';
    throw new ValidationError('the submission has no email address', [
      { path: 'email', message: `is required: no field is an email (by its name or the form's field map); received ${lookedAt}` },
    ]);
  }
  const values = Object.fromEntries([...canonical].map(([name, holder]) => [name, holder.value]));
  const result = submissionSchema.safeParse({ ...values, customFields: Object.fromEntries(customEntries.slice(0, MAX_CUSTOM_FIELDS)) });
  if (!result.success) {
    throw new ValidationError('the submission has invalid fields', detailsFromIssues(result.error.issues));
  }
  return { submission: result.data, notes };
}

/** `readSubmission` for fields given as an object, when the notes do not matter (tests, scripts). */
export function validateSubmission(fields: Record<string, string>, ignored: string[] = []): Submission {
  return readSubmission(Object.entries(fields), ignored).submission;
}

/** True for a name that maps to a lead field in any usual spelling (`Email`, `first_name`...). */
export function isLeadFieldName(name: string): boolean {
  return leadFieldOf(name) !== undefined;
}

/** The lead field a submitted name means, if any. Own keys only: a field named `constructor` or `__proto__` is a custom field, not Object's. */
function leadFieldOf(name: string): string | undefined {
  const key = aliasKey(name);
  return Object.hasOwn(fieldAliases, key) ? fieldAliases[key] : undefined;
}

/** Lowercased and trimmed: the identity used to deduplicate leads. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/** True when a honeypot field came back filled in, which only bots do. */
export function isSpam(fields: Iterable<[string, string]>, honeypotField: string): boolean {
  for (const [name, value] of fields) if (name === honeypotField && value.trim() !== '') return true;
  return false;
}
