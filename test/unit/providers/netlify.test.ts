import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, ValidationError } from '../../../core/errors';
import { netlifyProvider } from '../../../core/providers/netlify';
import type { Delivery } from '../../../core/providers/types';
import { jsonDelivery, providerFixture } from './deliveries';

// Netlify documents no example body: this one is assembled from the documented field list (see NOTES.md).
const rawBody = providerFixture('netlify', 'submission.assembled-from-documented-fields.json');

const secret = 'netlify-jws-secret-token';
const now = new Date('2026-03-01T10:00:00Z');

const delivery = jsonDelivery;

/** The fixture with some top-level fields and `data` replaced. */
function variant(top: Record<string, unknown>, data?: Record<string, unknown>): Delivery {
  const body = { ...JSON.parse(rawBody), ...top };
  if (data !== undefined) body.data = data;
  return delivery(JSON.stringify(body));
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** Netlify's JWS, built independently: HS256 over base64url(header).base64url(claims). */
function jws(claims: Record<string, unknown>, key = secret, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}

const sha256 = (body: string): string => createHash('sha256').update(body).digest('hex');

describe('netlifyProvider.read', () => {
  it("maps the submission's inputs, taking the email Netlify picked out, not the first address in the form", () => {
    const submission = netlifyProvider.read(delivery(rawBody), {});
    expect(submission.fields).toEqual([
      ['firstName', 'Ada'],
      ['lastName', 'Lovelace'],
      ['colleague_email', 'charles@example.com'],
      ['email', 'ada@example.com'],
      ['company', 'Analytical Engines'],
      ['role', 'VP Engineering'],
      ['message', 'We need pipeline reporting by next quarter.'],
      ['utm_source', 'linkedin'],
      ['utm_campaign', 'spring-launch'],
      ['referrer', 'https://www.example.com/pricing'],
    ]);
    expect(submission.fields.filter(([name]) => name === 'email')).toEqual([['email', 'ada@example.com']]);
    expect(submission.notes).toBeUndefined();
    expect(submission.engagement).toBeUndefined();
  });

  it("drops Netlify's own additions: ip, user agent, form-name and an empty bot-field", () => {
    const names = netlifyProvider.read(delivery(rawBody), {}).fields.map(([name]) => name);
    for (const dropped of ['ip', 'user_agent', 'form-name', 'bot-field']) expect(names).not.toContain(dropped);
  });

  it('keeps a filled bot-field, so a form using it as its honeypot refuses the post', () => {
    const body = JSON.parse(rawBody);
    const submission = netlifyProvider.read(variant({}, { ...body.data, 'bot-field': 'http://spam.example' }), {});
    expect(submission.fields).toContainEqual(['bot-field', 'http://spam.example']);
  });

  it('has the submission id as event id', () => {
    expect(netlifyProvider.read(delivery(rawBody), {}).eventId).toBe('65f1a2b3c4d5e6f7a8b9c0d1');
  });

  it('lets the field map override any mapping; a renamed email is not added again', () => {
    const submission = netlifyProvider.read(delivery(rawBody), {
      role: 'jobTitle',
      email: 'contactEmail',
      colleague_email: 'email',
      name: 'fullName',
    });
    expect(submission.fields).toEqual([
      ['fullName', 'Ada Lovelace'],
      ['email', 'charles@example.com'],
      ['contactEmail', 'ada@example.com'],
      ['company', 'Analytical Engines'],
      ['jobTitle', 'VP Engineering'],
      ['message', 'We need pipeline reporting by next quarter.'],
      ['utm_source', 'linkedin'],
      ['utm_campaign', 'spring-launch'],
      ['referrer', 'https://www.example.com/pricing'],
    ]);
  });

  it('splits a full name when Netlify gave no first and last name, and keeps separate name inputs as they are', () => {
    const split = netlifyProvider.read(
      variant(
        { first_name: null, last_name: null, name: 'Ada King Lovelace', company: null },
        { name: 'Ada King Lovelace', email: 'ada@example.com' },
      ),
      {},
    );
    expect(split.fields).toEqual([
      ['firstName', 'Ada King'],
      ['lastName', 'Lovelace'],
      ['email', 'ada@example.com'],
    ]);
    const separate = netlifyProvider.read(variant({}, { first: 'Ada', last: 'Lovelace', email: 'ada@example.com' }), {});
    expect(separate.fields).toEqual([
      ['firstName', 'Ada'],
      ['lastName', 'Lovelace'],
      ['email', 'ada@example.com'],
      ['company', 'Analytical Engines'],
    ]);
  });

  it('adds what Netlify picked out but no input carried, and keeps inputs by name when Netlify picked nothing', () => {
    const picked = netlifyProvider.read(variant({}, { notes: 'Call me' }), {});
    expect(picked.fields).toEqual([
      ['notes', 'Call me'],
      ['email', 'ada@example.com'],
      ['firstName', 'Ada'],
      ['lastName', 'Lovelace'],
      ['company', 'Analytical Engines'],
    ]);
    const plain = netlifyProvider.read(
      variant({ email: null, name: null, first_name: null, last_name: null, company: null }, { Email: 'ada@example.com', Company: 'AE' }),
      {},
    );
    expect(plain.fields).toEqual([
      ['Email', 'ada@example.com'],
      ['Company', 'AE'],
    ]);
  });

  it('emits no email when there is none, and notes a file upload without its content', () => {
    const submission = netlifyProvider.read(
      variant(
        { email: null, name: null, first_name: null, last_name: null, company: null },
        { topic: ['Pricing', 'Demo'], resume: { filename: 'cv.pdf', url: 'https://files.example/cv.pdf', size: 1234 } },
      ),
      {},
    );
    expect(submission.fields).toEqual([['topic', 'Pricing, Demo']]);
    expect(submission.notes).toEqual(['The answer to "resume" is a file or another non-text value and was not kept.']);
  });

  it('refuses a body of another shape, naming data', () => {
    const other = delivery(JSON.stringify({ event: 'invitee.created', payload: {} }));
    expect(() => netlifyProvider.read(other, {})).toThrow(ValidationError);
    try {
      netlifyProvider.read(other, {});
    } catch (error) {
      expect((error as ValidationError).message).toBe("a Netlify delivery has data (the form's inputs)");
      expect((error as ValidationError).details).toEqual([{ path: 'data', message: 'is not an object' }]);
    }
    // The submission-created function event wraps the submission; the outgoing webhook does not.
    expect(() => netlifyProvider.read(delivery(JSON.stringify({ payload: JSON.parse(rawBody), site: {} })), {})).toThrow(ValidationError);
    expect(() => netlifyProvider.read(delivery('[]'), {})).toThrow(/a Netlify delivery is a JSON object/);
  });
});

describe('netlifyProvider.verify', () => {
  const valid = () => jws({ iss: 'netlify', sha256: sha256(rawBody) });

  it('accepts an HS256 JWS from netlify whose sha256 claim is the raw body digest', () => {
    expect(() => {
      netlifyProvider.verify(delivery(rawBody, { 'x-webhook-signature': valid() }), secret, now);
    }).not.toThrow();
  });

  it.each([
    [
      'a tampered body',
      () => delivery(rawBody.replace('ada@example.com', 'eve@example.com'), { 'x-webhook-signature': valid() }),
      /does not match the body/,
    ],
    [
      'another secret',
      () => delivery(rawBody, { 'x-webhook-signature': jws({ iss: 'netlify', sha256: sha256(rawBody) }, 'another') }),
      /not signed with this form's secret/,
    ],
    ['a missing header', () => delivery(rawBody), /requires a X-Webhook-Signature header/],
    ['another issuer', () => delivery(rawBody, { 'x-webhook-signature': jws({ iss: 'someone', sha256: sha256(rawBody) }) }), /iss/],
    ['no sha256 claim', () => delivery(rawBody, { 'x-webhook-signature': jws({ iss: 'netlify' }) }), /sha256/],
    [
      'alg none',
      () =>
        delivery(rawBody, {
          'x-webhook-signature': `${jws({ iss: 'netlify', sha256: sha256(rawBody) }, secret, { alg: 'none' })
            .split('.')
            .slice(0, 2)
            .join('.')}.`,
        }),
      /must be a JWS/,
    ],
    [
      'another algorithm',
      () => delivery(rawBody, { 'x-webhook-signature': jws({ iss: 'netlify', sha256: sha256(rawBody) }, secret, { alg: 'HS512' }) }),
      /HS256/,
    ],
    ['a malformed token', () => delivery(rawBody, { 'x-webhook-signature': 'not-a-jws' }), /must be a JWS/],
    ['claims that are not JSON', () => delivery(rawBody, { 'x-webhook-signature': signedRaw('not json') }), /malformed/],
  ])('refuses %s', (_, make, message) => {
    expect(() => {
      netlifyProvider.verify(make(), secret, now);
    }).toThrow(InvalidSignatureError);
    expect(() => {
      netlifyProvider.verify(make(), secret, now);
    }).toThrow(message);
  });
});

/** A correctly signed token whose claims segment is arbitrary text. */
function signedRaw(claims: string): string {
  const signingInput = `${base64url(JSON.stringify({ alg: 'HS256' }))}.${base64url(claims)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}
