import { createHash, createHmac } from 'node:crypto';
import { InvalidSignatureError, ValidationError } from '../errors';
import { answerText, jsonObjectOf, requiredHeader, signaturesMatch, splitFullName } from './shared';
import type { Delivery, FieldMap, ProviderAdapter, ProviderSubmission } from './types';

/**
 * Netlify Forms' outgoing webhook: the submission as a JSON object, `data` holding the form's own
 * inputs by their `name=`, and top-level `email`, `name`, `first_name`, `last_name`, `company`
 * that Netlify itself picked out of them.
 */

/** What Netlify adds to `data` besides the form's inputs: request details and its own form marker. */
const technicalKeys = new Set(['ip', 'user_agent', 'form-name']);
/** Netlify's default honeypot input: dropped when empty, kept when filled so a form using it as its honeypot refuses the post. */
const NETLIFY_HONEYPOT = 'bot-field';

export const netlifyProvider: ProviderAdapter = {
  id: 'netlify',
  mediaTypes: ['application/json'],

  read(delivery: Delivery, fieldMap: FieldMap): ProviderSubmission {
    const body = jsonObjectOf(delivery, 'Netlify');
    const data = dataOf(body);
    const picked = pickedValues(body);
    const notes: string[] = [];
    const fields: Array<[string, string]> = [];
    for (const [key, raw] of Object.entries(data)) {
      if (technicalKeys.has(key)) continue;
      const value = answerText(raw);
      if (value === undefined) {
        if (raw !== null && raw !== undefined) notes.push(`The answer to "${key}" is a file or another non-text value and was not kept.`);
        continue;
      }
      if (key === NETLIFY_HONEYPOT && value.trim() === '') continue;
      fields.push(...named(key, value, fieldMap, picked));
    }
    fields.push(...unclaimed(picked));
    const submission: ProviderSubmission = { fields };
    const eventId = idOf(body.id);
    if (eventId !== undefined) submission.eventId = eventId;
    if (notes.length > 0) submission.notes = notes;
    return submission;
  },

  verify(delivery: Delivery, secret: string): void {
    const token = requiredHeader(delivery, 'X-Webhook-Signature');
    const claims = verifiedClaims(token, secret);
    if (claims.iss !== 'netlify') throw new InvalidSignatureError('the X-Webhook-Signature token was not issued by netlify (iss)');
    const digest = createHash('sha256').update(delivery.rawBody, 'utf8').digest('hex');
    if (typeof claims.sha256 !== 'string' || !signaturesMatch(digest, claims.sha256.toLowerCase())) {
      throw new InvalidSignatureError('the X-Webhook-Signature token does not match the body (sha256)');
    }
  },
};

function dataOf(body: Record<string, unknown>): Record<string, unknown> {
  const { data } = body;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ValidationError("a Netlify delivery has data (the form's inputs)", [{ path: 'data', message: 'is not an object' }]);
  }
  return data as Record<string, unknown>;
}

/** The lead fields Netlify picked out (an input whose value is one of them is that lead field), each claimed once. */
interface Picked {
  email?: string;
  firstName?: string;
  lastName?: string;
  company?: string;
  name?: string;
  /** Netlify gave first and/or last name itself: the full name is then not split again. */
  splitNames: boolean;
}

function pickedValues(body: Record<string, unknown>): Picked {
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
  const picked: Picked = { splitNames: false };
  const email = text(body.email);
  const firstName = text(body.first_name);
  const lastName = text(body.last_name);
  const company = text(body.company);
  const name = text(body.name);
  if (email !== undefined) picked.email = email;
  if (firstName !== undefined) picked.firstName = firstName;
  if (lastName !== undefined) picked.lastName = lastName;
  if (company !== undefined) picked.company = company;
  if (name !== undefined) picked.name = name;
  picked.splitNames = firstName !== undefined || lastName !== undefined;
  return picked;
}

type PickedField = 'email' | 'firstName' | 'lastName' | 'company' | 'name';

/**
 * An input's name: the field map first; else the lead field Netlify recognised in it (by its value:
 * the email is the input Netlify took the email from, not whichever input looks like one); else the
 * input's own name. Whatever is recognised is claimed, also when the field map renames it, so it is
 * not added again at the end.
 */
function named(key: string, value: string, fieldMap: FieldMap, picked: Picked): Array<[string, string]> {
  const mapped = Object.hasOwn(fieldMap, key) ? fieldMap[key] : undefined;
  const claim = (field: PickedField): boolean => {
    if (picked[field]?.trim() !== value.trim()) return false;
    picked[field] = undefined;
    return true;
  };
  if (claim('email')) return [[mapped ?? 'email', value]];
  if (claim('firstName')) return [[mapped ?? 'firstName', value]];
  if (claim('lastName')) return [[mapped ?? 'lastName', value]];
  if (claim('company')) return [[mapped ?? 'company', value]];
  if (claim('name')) {
    // One answer, one pair of names: the first and last name Netlify took from this input are used up too.
    const given = takeNames(picked);
    if (mapped !== undefined) return [[mapped, value]];
    if (!picked.splitNames) return nameFields(splitFullName(value));
    if (given.firstName !== undefined || given.lastName !== undefined) return nameFields(given);
  }
  return [[mapped ?? key, value]];
}

function takeNames(picked: Picked): { firstName?: string; lastName?: string } {
  const { firstName, lastName } = picked;
  picked.firstName = undefined;
  picked.lastName = undefined;
  return { ...(firstName === undefined ? {} : { firstName }), ...(lastName === undefined ? {} : { lastName }) };
}

function nameFields(names: { firstName?: string; lastName?: string }): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  if (names.firstName !== undefined) fields.push(['firstName', names.firstName]);
  if (names.lastName !== undefined) fields.push(['lastName', names.lastName]);
  return fields;
}

/** What Netlify picked out but no input carried (the inputs come first: they are the form's own order). */
function unclaimed(picked: Picked): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  if (picked.email !== undefined) fields.push(['email', picked.email]);
  if (picked.splitNames) fields.push(...nameFields(picked));
  else if (picked.name !== undefined) fields.push(...nameFields(splitFullName(picked.name)));
  if (picked.company !== undefined) fields.push(['company', picked.company]);
  return fields;
}

/** Netlify's submission id, the same on every redelivery (`number` only counts within a form). */
function idOf(id: unknown): string | undefined {
  if (typeof id === 'string' && id !== '') return id;
  if (typeof id === 'number') return String(id);
  return undefined;
}

/**
 * A compact JWS signed HS256 with the notification's secret: the header must say HS256 (never
 * `none` nor another algorithm), the signature must match, and the claims must be a JSON object.
 */
function verifiedClaims(token: string, secret: string): Record<string, unknown> {
  const parts = token.trim().split('.');
  const [header, payload, signature] = parts;
  const segment = /^[A-Za-z0-9_-]+$/;
  if (
    parts.length !== 3 ||
    header === undefined ||
    payload === undefined ||
    signature === undefined ||
    ![header, payload, signature].every((part) => segment.test(part))
  ) {
    throw new InvalidSignatureError('the X-Webhook-Signature header must be a JWS (header.payload.signature)');
  }
  if (decodedObject(header).alg !== 'HS256') throw new InvalidSignatureError('the X-Webhook-Signature token must be signed with HS256');
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`, 'utf8').digest('base64url');
  if (!signaturesMatch(expected, signature))
    throw new InvalidSignatureError("the X-Webhook-Signature token is not signed with this form's secret");
  return decodedObject(payload);
}

function decodedObject(segment: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Not JSON: refused below like any other malformed token.
  }
  throw new InvalidSignatureError('the X-Webhook-Signature token is malformed');
}
