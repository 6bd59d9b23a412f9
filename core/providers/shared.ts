import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidSignatureError, ValidationError } from '../errors';
import type { Delivery, FieldMap } from './types';

/** HMAC-SHA256 of `data` with `secret`, hex or base64 as a provider's scheme writes it. */
export function hmacSha256(secret: string, data: string, encoding: 'hex' | 'base64'): string {
  return createHmac('sha256', secret).update(data, 'utf8').digest(encoding);
}

/** Compares two signatures in constant time (different lengths are simply unequal). */
export function signaturesMatch(expected: string, received: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The header's value, or a 401 naming it. */
export function requiredHeader(delivery: Delivery, name: string): string {
  const value = delivery.headers[name.toLowerCase()];
  if (!value) throw new InvalidSignatureError(`this form requires a ${name} header`);
  return value;
}

/** A signed timestamp must be within `windowSeconds` of now, either way (a replayed or a future delivery is refused). */
export function requireFresh(timestampMs: number, now: Date, windowSeconds: number, header: string): void {
  if (!Number.isFinite(timestampMs)) throw new InvalidSignatureError(`the ${header} timestamp is malformed`);
  if (Math.abs(now.getTime() - timestampMs) > windowSeconds * 1000) {
    throw new InvalidSignatureError(`the ${header} timestamp is more than ${windowSeconds} seconds away from now`);
  }
}

/** The JSON object a JSON provider posts, or a 400 that says what was expected. */
export function jsonObjectOf(delivery: Delivery, provider: string): Record<string, unknown> {
  const body = delivery.json;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError(`a ${provider} delivery is a JSON object`, [{ path: '(body)', message: 'is not a JSON object' }]);
  }
  return body as Record<string, unknown>;
}

/** A first and last name from a full name: the last word is the last name ("Ada King Lovelace" -> "Ada King", "Lovelace"). */
export function splitFullName(full: string): { firstName?: string; lastName?: string } {
  const words = full.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return {};
  if (words.length === 1) return { firstName: words[0] };
  return { firstName: words.slice(0, -1).join(' '), lastName: words.at(-1) };
}

/** A scalar answer as text; lists joined with ", "; anything else is not a value a lead keeps. */
export function answerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const parts = value.map(answerText).filter((part): part is string => part !== undefined && part !== '');
    return parts.length > 0 ? parts.join(', ') : undefined;
  }
  return undefined;
}

/**
 * For providers that cannot sign their deliveries: the form's secret travels as a token, in the
 * webhook URL (`?token=<secret>`) or in an `X-Leadflow-Token` header, compared in constant time.
 */
export function verifyToken(delivery: Delivery, secret: string): void {
  const token = delivery.headers['x-leadflow-token'] ?? delivery.query.token;
  if (!token) throw new InvalidSignatureError('this form requires its token: add ?token=<secret> to the webhook URL');
  if (!signaturesMatch(secret, token)) throw new InvalidSignatureError('the token does not match the form');
}

/** One answer of a form tool that sends typed, labelled answers (Typeform, Tally, Webflow), before it is named. */
export interface LabelledAnswer {
  /** What the form's field map may call it, most specific first: an id, a ref or key, then the label. */
  keys: string[];
  /** The question as the form shows it. */
  label: string;
  value: string;
  /** The lead field the provider's format or the answer's type says this is (`email`, `phone`, `utm_source`...). */
  leadField?: string;
  /** Kept only when the field map names it: values the form's logic computed, a payer's details. */
  onlyIfMapped?: boolean;
}

/**
 * Names answers for the platform's field rules. The field map wins; then the lead field the answer's
 * type says; then the label, reduced to what a question asks for ("What is your first name?" ->
 * "first name"), which the platform's aliases map or keep as a custom field. A lead field the map
 * gives to another answer is not inferred again: when a payer's email is mapped to `email`, the
 * respondent's email question keeps the provider's id for a name. A full name ("Name", "Full
 * name", or an answer mapped to `name`) is split into first and last name.
 */
export function nameAnswers(answers: readonly LabelledAnswer[], fieldMap: FieldMap): Array<[string, string]> {
  const mapped = answers.map((answer) => mappedName(answer.keys, fieldMap));
  const claimed = new Set(mapped.filter((name): name is string => name !== undefined));
  const fields: Array<[string, string]> = [];
  answers.forEach((answer, index) => {
    const name = mapped[index] ?? inferredName(answer, claimed);
    if (name === undefined) return;
    if (!isFullNameLabel(name)) {
      fields.push([name, answer.value]);
      return;
    }
    const { firstName, lastName } = splitFullName(answer.value);
    if (firstName !== undefined && !claimed.has('firstName')) fields.push(['firstName', firstName]);
    if (lastName !== undefined && !claimed.has('lastName')) fields.push(['lastName', lastName]);
  });
  return fields;
}

function mappedName(keys: readonly string[], fieldMap: FieldMap): string | undefined {
  // Own keys only: a label such as "constructor" is not a mapping.
  const key = keys.find((candidate) => Object.hasOwn(fieldMap, candidate));
  return key === undefined ? undefined : fieldMap[key];
}

function inferredName(answer: LabelledAnswer, claimed: ReadonlySet<string>): string | undefined {
  if (answer.onlyIfMapped === true) return undefined;
  if (answer.leadField === undefined) return questionSubject(answer.label);
  // Yielding to the field map: named by its id, as its label ("Email") would claim the same lead field.
  return claimed.has(answer.leadField) ? (answer.keys[0] ?? answer.label) : answer.leadField;
}

/** A label naming the person's whole name: `Name`, `Full name`, `full_name`, `fullName`. */
export function isFullNameLabel(label: string): boolean {
  const key = label.toLowerCase().replace(/[\s_-]/g, '');
  return key === 'name' || key === 'fullname';
}

const asksForYour = /^(?:(?:what\s+is|what['’]s|whats|please\s+(?:enter|give\s+us|provide)|enter)\s+)?your\s+([^?:]+?)[\s?:*]*$/i;

/**
 * What a question asks for when it asks for "your X" in a few words ("What is your first name?",
 * "Your email *" -> "first name", "email"); any other label as it is.
 */
export function questionSubject(label: string): string {
  const subject = asksForYour.exec(label.trim())?.[1]?.replace(/\*/g, '').trim();
  return subject !== undefined && subject !== '' && subject.split(/\s+/).length <= 4 ? subject : label;
}

/** The UTM parameter a hidden field carries (`utm_source`, `utmSource`, `UTM-Source` -> `utm_source`). */
export function utmFieldOf(name: string): string | undefined {
  const part = /^utm[\s_-]?(source|medium|campaign|term|content)$/i.exec(name.trim())?.[1];
  return part === undefined ? undefined : `utm_${part.toLowerCase()}`;
}

/** The body as `JSON.stringify(JSON.parse(raw))`, for providers that sign their re-serialization of it; undefined when not JSON. */
export function reserializedJson(rawBody: string): string | undefined {
  try {
    return JSON.stringify(JSON.parse(rawBody));
  } catch {
    return undefined;
  }
}
