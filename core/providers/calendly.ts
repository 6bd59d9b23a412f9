import { InvalidSignatureError, ValidationError } from '../errors';
import { answerText, hmacSha256, jsonObjectOf, requireFresh, requiredHeader, signaturesMatch, splitFullName } from './shared';
import type { Delivery, FieldMap, ProviderAdapter, ProviderEngagement, ProviderSubmission } from './types';

/**
 * Calendly's webhook: `{event, created_at, payload}` where, for `invitee.*` events, `payload` is
 * the invitee (the person who booked) with the scheduled meeting embedded. Only a booking
 * (`invitee.created`) is a lead; it comes with a `meeting` engagement.
 */

const CREATED = 'invitee.created';
const utmNames = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;
/** Calendly's own receiver example tolerates 3 minutes; `t` is in seconds. */
const WINDOW_SECONDS = 3 * 60;

export const calendlyProvider: ProviderAdapter = {
  id: 'calendly',
  mediaTypes: ['application/json'],

  read(delivery: Delivery, fieldMap: FieldMap): ProviderSubmission {
    const body = jsonObjectOf(delivery, 'Calendly');
    const invitee = inviteeOf(body);
    const meeting = objectOr(invitee.scheduled_event);
    const submission: ProviderSubmission = {
      fields: [
        ...personFields(invitee, fieldMap),
        ...answerFields(invitee.questions_and_answers, fieldMap),
        ...trackingFields(invitee.tracking, fieldMap),
      ],
      engagement: [meetingOf(meeting, invitee, body)],
    };
    if (typeof invitee.uri === 'string' && invitee.uri !== '') submission.eventId = invitee.uri;
    const notes = notesOf(invitee, meeting);
    if (notes.length > 0) submission.notes = notes;
    return submission;
  },

  verify(delivery: Delivery, secret: string, now: Date): void {
    const header = requiredHeader(delivery, 'Calendly-Webhook-Signature');
    const { timestamp, digests } = parseSignature(header);
    requireFresh(Number(timestamp) * 1000, now, WINDOW_SECONDS, 'Calendly-Webhook-Signature');
    const expected = hmacSha256(secret, `${timestamp}.${delivery.rawBody}`, 'hex');
    if (!digests.some((digest) => signaturesMatch(expected, digest))) {
      throw new InvalidSignatureError('the Calendly-Webhook-Signature does not match the body');
    }
  },
};

/** The invitee of an `invitee.created` event; any other event (a cancellation, a routing form...) is refused by name. */
function inviteeOf(body: Record<string, unknown>): Record<string, unknown> {
  const { event, payload } = body;
  if (typeof event !== 'string' || payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ValidationError('a Calendly delivery has event and payload (the invitee)', [
      {
        path: typeof event === 'string' ? 'payload' : 'event',
        message: typeof event === 'string' ? 'is not an object' : 'is not an event name',
      },
    ]);
  }
  if (event !== CREATED) {
    throw new ValidationError(`only ${CREATED} creates leads; this delivery is ${event}`, [
      { path: 'event', message: `is ${event}, not ${CREATED}` },
    ]);
  }
  return payload as Record<string, unknown>;
}

/**
 * The invitee's own email, name and SMS-reminder phone. The hosts (`event_memberships`) and the
 * guests the invitee added (`event_guests`) are never the lead, whatever their addresses.
 */
function personFields(invitee: Record<string, unknown>, fieldMap: FieldMap): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  const add = (key: string, name: string, value: unknown): void => {
    if (typeof value === 'string' && value.trim() !== '') fields.push([mappedName(fieldMap, key) ?? name, value]);
  };
  add('email', 'email', invitee.email);
  // first_name/last_name are filled only when the event type asks for them separately; else the full name is split.
  if (isText(invitee.first_name) || isText(invitee.last_name)) {
    add('first_name', 'firstName', invitee.first_name);
    add('last_name', 'lastName', invitee.last_name);
  } else if (isText(invitee.name)) {
    const mapped = mappedName(fieldMap, 'name');
    if (mapped !== undefined) fields.push([mapped, invitee.name]);
    else {
      const { firstName, lastName } = splitFullName(invitee.name);
      add('first_name', 'firstName', firstName);
      add('last_name', 'lastName', lastName);
    }
  }
  add('text_reminder_number', 'phone', invitee.text_reminder_number);
  return fields;
}

/** Booking-form answers, named by their question's text (the alias table knows "Company", "Job title"...). */
function answerFields(questions: unknown, fieldMap: FieldMap): Array<[string, string]> {
  if (!Array.isArray(questions)) return [];
  const fields: Array<[string, string]> = [];
  for (const item of questions) {
    const { question, answer } = objectOr(item);
    const value = answerText(answer);
    if (typeof question !== 'string' || question === '' || value === undefined || value === '') continue;
    fields.push([mappedName(fieldMap, question) ?? question, value]);
  }
  return fields;
}

/** UTM tags of the booking link; `salesforce_uuid` (not a UTM) is kept under its own name. */
function trackingFields(tracking: unknown, fieldMap: FieldMap): Array<[string, string]> {
  const values = objectOr(tracking);
  const fields: Array<[string, string]> = [];
  for (const key of [...utmNames, 'salesforce_uuid']) {
    const value = values[key];
    if (typeof value === 'string' && value !== '') fields.push([mappedName(fieldMap, key) ?? key, value]);
  }
  return fields;
}

/** The booked meeting, at its start (else when it was booked), named by its event type. */
function meetingOf(meeting: Record<string, unknown>, invitee: Record<string, unknown>, body: Record<string, unknown>): ProviderEngagement {
  const engagement: ProviderEngagement = { type: 'meeting' };
  const at = [meeting.start_time, invitee.created_at, body.created_at].find(isText);
  if (at !== undefined) engagement.at = at;
  if (isText(meeting.name)) engagement.properties = { event: meeting.name };
  return engagement;
}

function notesOf(invitee: Record<string, unknown>, meeting: Record<string, unknown>): string[] {
  const notes: string[] = [];
  const guests = Array.isArray(meeting.event_guests) ? meeting.event_guests.length : 0;
  if (guests > 0)
    notes.push(
      `${guests === 1 ? 'A guest' : `${guests} guests`} added to the booking ${guests === 1 ? 'is' : 'are'} not kept on the lead.`,
    );
  if (isText(invitee.old_invitee)) notes.push('This booking reschedules an earlier one.');
  if (invitee.payment !== null && typeof invitee.payment === 'object')
    notes.push('The booking was paid for; the payment is not kept on the lead.');
  return notes;
}

/** `t=<unix seconds>,v1=<hex>`; a header with several `v1` matches when any of them does. */
function parseSignature(header: string): { timestamp: string; digests: string[] } {
  let timestamp: string | undefined;
  const digests: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = value;
    if (key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/i.test(value)) digests.push(value.toLowerCase());
  }
  if (timestamp === undefined || digests.length === 0) {
    throw new InvalidSignatureError('the Calendly-Webhook-Signature header must look like t=<seconds>,v1=<hex>');
  }
  return { timestamp, digests };
}

function mappedName(fieldMap: FieldMap, key: string): string | undefined {
  return Object.hasOwn(fieldMap, key) ? fieldMap[key] : undefined;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function objectOr(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
