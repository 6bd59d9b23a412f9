import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, ValidationError } from '../../../core/errors';
import { calendlyProvider } from '../../../core/providers/calendly';
import type { Delivery } from '../../../core/providers/types';
import { engagementEventSchema } from '../../../core/scoring/events';
import { jsonDelivery, providerFixture } from './deliveries';

const fixture = (file: string): string => providerFixture('calendly', file);
const createdBody = fixture('invitee-created.json');
const sampleBody = fixture('invitee-created.sample-webhook-data.json');

const secret = 'calendly-webhook-signing-key';
const now = new Date('2026-03-01T10:00:00Z');
const t = now.getTime() / 1000;

const delivery = jsonDelivery;

/** The first example with its invitee changed (a read test: the body is re-serialized, no signature involved). */
function withInvitee(change: (payload: Record<string, unknown>) => void, envelope: Record<string, unknown> = {}): Delivery {
  const body = { ...JSON.parse(createdBody), ...envelope };
  change(body.payload);
  return delivery(JSON.stringify(body));
}

/** Calendly's documented scheme, computed independently: t=<seconds>,v1=<hex HMAC-SHA256(key, "<t>.<raw body>")>. */
function sign(body: string, timestamp: number, key = secret): string {
  return `t=${timestamp},v1=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

describe('calendlyProvider.read', () => {
  it("maps the documented Invitee Created example to the invitee, never the host's or the guest's address", () => {
    const submission = calendlyProvider.read(delivery(createdBody), {});
    expect(submission.fields).toEqual([
      ['email', 'test@example.com'],
      ['firstName', 'John'],
      ['lastName', 'Doe'],
    ]);
    expect(submission.fields.flat()).not.toContain('user@example.com');
    expect(submission.notes).toEqual(['A guest added to the booking is not kept on the lead.']);
  });

  it('records the booking as a meeting at its start time, named by the event', () => {
    const { engagement } = calendlyProvider.read(delivery(createdBody), {});
    expect(engagement).toEqual([{ type: 'meeting', at: '2019-08-24T14:15:22.123456Z', properties: { event: '15 Minute Meeting' } }]);
    expect(engagementEventSchema.safeParse(engagement![0]).success).toBe(true);
  });

  it("has the invitee's uri as event id", () => {
    expect(calendlyProvider.read(delivery(createdBody), {}).eventId).toBe(
      'https://api.calendly.com/scheduled_events/AAAAAAAAAAAAAAAA/invitees/AAAAAAAAAAAAAAAA',
    );
    expect(calendlyProvider.read(delivery(sampleBody), {}).eventId).toBe(
      'https://calendly.com/scheduled_events/AAAAAAAAAAAAAAAA/invitees/AAAAAAAAAAAAAAAA',
    );
  });

  it('maps the documented sample data: first and last name, the SMS phone, answers by question text, UTM tracking', () => {
    const submission = calendlyProvider.read(delivery(sampleBody), {});
    expect(submission.fields).toEqual([
      ['email', 'test@example.com'],
      ['firstName', 'John'],
      ['lastName', 'Doe'],
      ['phone', '+1 404-555-1234'],
      ['string', 'string'],
      ['utm_source', 'string'],
      ['utm_medium', 'string'],
      ['utm_campaign', 'string'],
      ['utm_term', 'string'],
      ['utm_content', 'string'],
      ['salesforce_uuid', 'string'],
    ]);
    expect(submission.fields.flat()).not.toContain('user@example.com');
    expect(submission.engagement).toEqual([{ type: 'meeting', at: '2019-08-24T14:15:22Z', properties: { event: '15 Minute Meeting' } }]);
    // No personal data in the notes; the payment is not a lead field.
    expect(submission.notes).toEqual([
      'A guest added to the booking is not kept on the lead.',
      'This booking reschedules an earlier one.',
      'The booking was paid for; the payment is not kept on the lead.',
    ]);
  });

  it('names booking-form answers by their question (the platform knows "Company", "Job title")', () => {
    const submission = calendlyProvider.read(
      withInvitee((payload) => {
        payload.questions_and_answers = [
          { question: 'Company', answer: 'Analytical Engines', position: 0 },
          { question: 'Job title', answer: 'VP Engineering', position: 1 },
          { question: 'Anything we should know?', answer: '', position: 2 },
          { question: 'Topics', answer: ['Pricing', 'Demo'], position: 3 },
        ];
      }),
      {},
    );
    expect(submission.fields.slice(3)).toEqual([
      ['Company', 'Analytical Engines'],
      ['Job title', 'VP Engineering'],
      ['Topics', 'Pricing, Demo'],
    ]);
  });

  it('lets the field map override any mapping: a question, a tracking value, the full name', () => {
    const sample = calendlyProvider.read(delivery(sampleBody), { string: 'message', salesforce_uuid: 'crmId' });
    expect(sample.fields).toContainEqual(['message', 'string']);
    expect(sample.fields).toContainEqual(['crmId', 'string']);
    const created = calendlyProvider.read(delivery(createdBody), { name: 'fullName', email: 'bookingEmail' });
    expect(created.fields).toEqual([
      ['bookingEmail', 'test@example.com'],
      ['fullName', 'John Doe'],
    ]);
  });

  it('emits no email when the invitee has none (the platform refuses it, not the adapter)', () => {
    const submission = calendlyProvider.read(
      withInvitee((payload) => {
        delete payload.email;
      }),
      {},
    );
    expect(submission.fields).toEqual([
      ['firstName', 'John'],
      ['lastName', 'Doe'],
    ]);
  });

  it('refuses any event other than invitee.created, saying only it creates leads', () => {
    const canceled = withInvitee(() => undefined, { event: 'invitee.canceled' });
    expect(() => calendlyProvider.read(canceled, {})).toThrow(ValidationError);
    try {
      calendlyProvider.read(canceled, {});
    } catch (error) {
      expect((error as ValidationError).message).toBe('only invitee.created creates leads; this delivery is invitee.canceled');
      expect((error as ValidationError).details).toEqual([{ path: 'event', message: 'is invitee.canceled, not invitee.created' }]);
    }
  });

  it('refuses a body of another shape, naming event and payload', () => {
    const typeform = delivery(JSON.stringify({ event_id: 'x', form_response: { answers: [] } }));
    expect(() => calendlyProvider.read(typeform, {})).toThrow(ValidationError);
    expect(() => calendlyProvider.read(typeform, {})).toThrow('a Calendly delivery has event and payload (the invitee)');
    expect(() => calendlyProvider.read(delivery(JSON.stringify({ event: 'invitee.created', payload: 'x' })), {})).toThrow(
      /event and payload/,
    );
  });
});

describe('calendlyProvider.verify', () => {
  it('accepts a fresh signature over "<t>.<raw body>"', () => {
    expect(() => {
      calendlyProvider.verify(delivery(createdBody, { 'calendly-webhook-signature': sign(createdBody, t - 60) }), secret, now);
    }).not.toThrow();
  });

  it('verifies the raw bytes, not a re-serialization of the body', () => {
    const reserialized = JSON.stringify(JSON.parse(createdBody));
    expect(reserialized).not.toBe(createdBody);
    expect(() => {
      calendlyProvider.verify(delivery(createdBody, { 'calendly-webhook-signature': sign(reserialized, t) }), secret, now);
    }).toThrow(InvalidSignatureError);
  });

  it.each([
    [
      'a tampered body',
      () => delivery(createdBody.replace('test@example.com', 'eve@example.com'), { 'calendly-webhook-signature': sign(createdBody, t) }),
      /does not match/,
    ],
    ['another key', () => delivery(createdBody, { 'calendly-webhook-signature': sign(createdBody, t, 'another-key') }), /does not match/],
    ['a missing header', () => delivery(createdBody), /requires a Calendly-Webhook-Signature header/],
    [
      'a stale timestamp (over 3 minutes)',
      () => delivery(createdBody, { 'calendly-webhook-signature': sign(createdBody, t - 181) }),
      /more than 180 seconds/,
    ],
    [
      'a timestamp from the future',
      () => delivery(createdBody, { 'calendly-webhook-signature': sign(createdBody, t + 181) }),
      /more than 180 seconds/,
    ],
    [
      'a timestamp in milliseconds',
      () => delivery(createdBody, { 'calendly-webhook-signature': sign(createdBody, t * 1000) }),
      /must look like|more than 180 seconds/,
    ],
    [
      'a malformed header',
      () => delivery(createdBody, { 'calendly-webhook-signature': 'sha256=abc' }),
      /must look like t=<seconds>,v1=<hex>/,
    ],
  ])('refuses %s', (_, make, message) => {
    expect(() => {
      calendlyProvider.verify(make(), secret, now);
    }).toThrow(InvalidSignatureError);
    expect(() => {
      calendlyProvider.verify(make(), secret, now);
    }).toThrow(message);
  });
});
