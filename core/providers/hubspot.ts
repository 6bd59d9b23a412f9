import { InvalidSignatureError, ValidationError } from '../errors';
import { answerText, hmacSha256, jsonObjectOf, requireFresh, requiredHeader, signaturesMatch, verifyToken } from './shared';
import type { Delivery, FieldMap, ProviderAdapter, ProviderSubmission } from './types';

/**
 * HubSpot's Forms API v3 submission body (`fields[]` of `{objectTypeId, name, value}`, `context`,
 * `legalConsentOptions`, `submittedAt`): what a site posts to a HubSpot form, pointed at leadflow.
 */

/** HubSpot's default contact property internal names that are lead fields. */
const contactProperties: Record<string, string> = {
  email: 'email',
  firstname: 'firstName',
  lastname: 'lastName',
  company: 'company',
  jobtitle: 'jobTitle',
  phone: 'phone',
  country: 'country',
  industry: 'industry',
  numemployees: 'companySize',
  message: 'message',
  utm_source: 'utm_source',
  utm_medium: 'utm_medium',
  utm_campaign: 'utm_campaign',
  utm_term: 'utm_term',
  utm_content: 'utm_content',
};

/** Company-object properties (objectTypeId 0-2) that describe the lead's company. */
const companyProperties: Record<string, string> = {
  name: 'company',
  industry: 'industry',
  numberofemployees: 'companySize',
  country: 'country',
};

const CONTACT = '0-1';
const COMPANY = '0-2';
const utmNames = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];

/** The v3 scheme's timestamp is in milliseconds; HubSpot's own SDKs refuse anything older than 5 minutes. */
const V3_WINDOW_SECONDS = 5 * 60;

export const hubspotProvider: ProviderAdapter = {
  id: 'hubspot',
  mediaTypes: ['application/json'],

  read(delivery: Delivery, fieldMap: FieldMap): ProviderSubmission {
    rejectWebhookEvents(delivery.json);
    const body = jsonObjectOf(delivery, 'HubSpot');
    const formFields = formFieldsOf(body);
    const notes: string[] = [];
    const fields: Array<[string, string]> = [];
    for (const field of formFields) {
      const value = answerText(field.value);
      if (value === undefined) {
        if (field.value !== null && field.value !== undefined)
          notes.push(`The value of the HubSpot property "${field.name}" is not text and was not kept.`);
        continue;
      }
      fields.push([fieldName(field, fieldMap), value]);
    }
    const context = objectOr(body.context);
    fields.push(...contextFields(context, fieldMap, new Set(fields.map(([name]) => name))));
    fields.push(...consentFields(objectOr(body.legalConsentOptions), fieldMap, notes));
    const submission: ProviderSubmission = { fields };
    const eventId = eventIdOf(context, body.submittedAt);
    if (eventId !== undefined) submission.eventId = eventId;
    if (notes.length > 0) submission.notes = notes;
    return submission;
  },

  verify(delivery: Delivery, secret: string, now: Date): void {
    // HubSpot signs only what it sends itself (an app's client secret, v3); a site posting the
    // Forms body cannot sign, so it carries the form's token instead.
    if (delivery.headers['x-hubspot-signature-v3'] === undefined) {
      verifyToken(delivery, secret);
      return;
    }
    verifyV3(delivery, secret, now);
  },
};

interface FormField {
  objectTypeId?: string;
  name: string;
  value: unknown;
}

/** A Webhooks API batch (an array of CRM events) holds only object ids: no lead can be read from it. */
function rejectWebhookEvents(json: unknown): void {
  if (!Array.isArray(json)) return;
  throw new ValidationError('a HubSpot delivery is a Forms API v3 body with fields[]; a Webhooks API event batch carries no form fields', [
    { path: '(body)', message: 'is an array of events, not a form submission' },
  ]);
}

function formFieldsOf(body: Record<string, unknown>): FormField[] {
  const { fields } = body;
  if (!Array.isArray(fields)) {
    throw new ValidationError('a HubSpot delivery has fields[] (the Forms API v3 body)', [{ path: 'fields', message: 'is not an array' }]);
  }
  return fields.map((item: unknown, index) => {
    const field = objectOr(item);
    if (typeof field.name !== 'string' || field.name === '') {
      throw new ValidationError('a HubSpot delivery has fields[] of {name, value}', [
        { path: `fields.${index}.name`, message: 'is not a property name' },
      ]);
    }
    const objectTypeId = typeof field.objectTypeId === 'string' ? field.objectTypeId : undefined;
    return { name: field.name, value: field.value, ...(objectTypeId === undefined ? {} : { objectTypeId }) };
  });
}

/**
 * The field map first (by `<objectTypeId>/<name>`, then by name), then HubSpot's own property
 * names; a company's properties are kept apart from the contact's (both may have a phone).
 */
function fieldName(field: FormField, fieldMap: FieldMap): string {
  const objectTypeId = field.objectTypeId ?? CONTACT;
  const mapped = mappedName(fieldMap, `${objectTypeId}/${field.name}`) ?? mappedName(fieldMap, field.name);
  if (mapped !== undefined) return mapped;
  if (objectTypeId === CONTACT) return ownValue(contactProperties, field.name) ?? field.name;
  if (objectTypeId === COMPANY) return ownValue(companyProperties, field.name) ?? `company_${field.name}`;
  return field.name;
}

/** The page the form was on is the landing page; its query string's UTM tags count unless a field already gave them. */
function contextFields(context: Record<string, unknown>, fieldMap: FieldMap, given: ReadonlySet<string>): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  const { pageUri, pageName } = context;
  if (typeof pageUri === 'string' && pageUri !== '') {
    fields.push([mappedName(fieldMap, 'pageUri') ?? 'landingPage', pageUri]);
    const query = queryOf(pageUri);
    for (const utm of utmNames) {
      const value = query.get(utm);
      if (value !== null && value !== '' && !given.has(utm)) fields.push([mappedName(fieldMap, utm) ?? utm, value]);
    }
  }
  if (typeof pageName === 'string' && pageName !== '') fields.push([mappedName(fieldMap, 'pageName') ?? 'pageName', pageName]);
  return fields;
}

/** `pageUri` may have no scheme (HubSpot's own example is `www.example.com/page`), so no URL parsing. */
function queryOf(uri: string): URLSearchParams {
  const withoutFragment = uri.split('#', 1)[0] ?? '';
  const start = withoutFragment.indexOf('?');
  return new URLSearchParams(start === -1 ? '' : withoutFragment.slice(start + 1));
}

/**
 * `consentToProcess` is the lead's consent; each communication choice is kept as
 * `subscription_<subscriptionTypeId>`. A legitimate-interest basis is not consent.
 */
function consentFields(options: Record<string, unknown>, fieldMap: FieldMap, notes: string[]): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  const consent = objectOr(options.consent);
  if (typeof consent.consentToProcess === 'boolean') {
    fields.push([mappedName(fieldMap, 'consentToProcess') ?? 'consent', String(consent.consentToProcess)]);
  }
  if (Array.isArray(consent.communications)) {
    for (const item of consent.communications) {
      const communication = objectOr(item);
      const id = communication.subscriptionTypeId;
      if ((typeof id !== 'number' && typeof id !== 'string') || typeof communication.value !== 'boolean') continue;
      const name = `subscription_${String(id)}`;
      fields.push([mappedName(fieldMap, name) ?? name, String(communication.value)]);
    }
  }
  if (options.legitimateInterest !== undefined) {
    notes.push('A legitimate-interest legal basis was received; it is not consent, so consent was not set from it.');
  }
  return fields;
}

/**
 * HubSpot's body has no event id. The visitor's tracking cookie (`hutk`) with the submission's
 * millisecond `submittedAt` is what a resent submission repeats, so both together stand in for
 * one; with either missing there is none.
 */
function eventIdOf(context: Record<string, unknown>, submittedAt: unknown): string | undefined {
  const { hutk } = context;
  const at = typeof submittedAt === 'number' ? String(submittedAt) : submittedAt;
  if (typeof hutk !== 'string' || hutk === '' || typeof at !== 'string' || !/^\d+$/.test(at)) return undefined;
  return `${hutk}:${at}`;
}

/** base64(HMAC-SHA256(client secret, method + URI + raw body + timestamp)), timestamp in ms, 5 minutes either way. */
function verifyV3(delivery: Delivery, secret: string, now: Date): void {
  const signature = requiredHeader(delivery, 'X-HubSpot-Signature-v3');
  const timestamp = requiredHeader(delivery, 'X-HubSpot-Request-Timestamp');
  if (!/^\d{1,16}$/.test(timestamp)) throw new InvalidSignatureError('the X-HubSpot-Request-Timestamp header must be Unix milliseconds');
  requireFresh(Number(timestamp), now, V3_WINDOW_SECONDS, 'X-HubSpot-Request-Timestamp');
  const signed = `${delivery.method.toUpperCase()}${decodeV3Uri(delivery.url)}${delivery.rawBody}${timestamp}`;
  if (!signaturesMatch(hmacSha256(secret, signed, 'base64'), signature)) {
    throw new InvalidSignatureError('the X-HubSpot-Signature-v3 signature does not match the request');
  }
}

/** HubSpot signs the URI with these escapes decoded (and only these). */
const v3Escapes: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

function decodeV3Uri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (escape) => v3Escapes[escape.toUpperCase()] ?? escape);
}

function mappedName(fieldMap: FieldMap, key: string): string | undefined {
  return ownValue(fieldMap, key);
}

/** A table lookup that never returns an inherited member (`constructor`, `toString`). */
function ownValue(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function objectOr(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
