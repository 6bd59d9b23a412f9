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
 * Turns submitted field pairs (as the body parser read them, in order) into flat string fields.
 * Rejects what no real form sends: a field given twice, non-scalar values, NUL and other control
 * characters.
 */
export function parseFields(pairs: Iterable<[string, unknown]>): Record<string, string> {
  const fields: Record<string, string> = {};
  const problems: ErrorDetail[] = [];
  for (const [name, value] of pairs) {
    if (hasControlCharacters(name)) {
      problems.push({ path: '(field name)', message: 'contains control characters' });
      continue;
    }
    if (Object.hasOwn(fields, name)) {
      problems.push({ path: name, message: 'is given more than once' });
      continue;
    }
    if (typeof value === 'number' || typeof value === 'boolean') {
      fields[name] = String(value);
    } else if (typeof value === 'string') {
      if (hasControlCharacters(value)) problems.push({ path: name, message: 'contains control characters' });
      else fields[name] = value.normalize('NFC');
    } else if (value !== null && value !== undefined) {
      problems.push({ path: name, message: 'must be a string, number or boolean' });
    }
  }
  if (problems.length > 0) throw new ValidationError('the submission has invalid fields', problems);
  return fields;
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

/**
 * Maps fields to their canonical names and validates them. Fields the platform does not know are
 * kept as custom fields; `ignored` names (the honeypot) are dropped.
 */
export function validateSubmission(fields: Record<string, string>, ignored: string[] = []): Submission {
  const canonical: Record<string, unknown> = {};
  const customFields: Record<string, string> = {};
  const problems: ErrorDetail[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (ignored.includes(name)) continue;
    const known = fieldAliases[name.toLowerCase().replace(/[\s_-]/g, '')];
    if (known === undefined) {
      customFields[name] = value;
      continue;
    }
    if (Object.hasOwn(canonical, known)) {
      problems.push({ path: known, message: `is given more than once (as ${name} too)` });
      continue;
    }
    // An empty optional field is the same as an absent one (plain forms send every input).
    if (value.trim() === '' && known !== 'email') continue;
    canonical[known] = value;
  }
  if (Object.keys(customFields).length > MAX_CUSTOM_FIELDS) {
    problems.push({ path: 'customFields', message: `at most ${MAX_CUSTOM_FIELDS} extra fields are kept` });
  }
  if (problems.length > 0) throw new ValidationError('the submission has invalid fields', problems);

  const result = submissionSchema.safeParse({ ...canonical, customFields });
  if (!result.success) {
    throw new ValidationError('the submission has invalid fields', detailsFromIssues(result.error.issues));
  }
  return result.data;
}

/** Lowercased and trimmed: the identity used to deduplicate leads. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/** True when a honeypot field came back filled in, which only bots do. */
export function isSpam(fields: Record<string, string>, honeypotField: string): boolean {
  const value = fields[honeypotField];
  return value !== undefined && value.trim() !== '';
}
