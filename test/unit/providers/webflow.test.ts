import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, ValidationError } from '../../../core/errors';
import type { Delivery } from '../../../core/providers/types';
import { webflowProvider } from '../../../core/providers/webflow';
import { readSubmission } from '../../../core/submission';
import { jsonDelivery, providerFixture } from './deliveries';

const documented = providerFixture('webflow', 'form-submission.json');
const documentedV1 = providerFixture('webflow', 'form-submission-v1.json');
const secret = 'webflow-app-client-secret';
const now = new Date('2026-03-01T10:00:00.000Z');

function deliveryOf(rawBody: string, headers: Record<string, string> = {}, query: Record<string, string> = {}): Delivery {
  return jsonDelivery(rawBody, headers, { query });
}

/** Webflow's scheme, computed here independently: hex HMAC-SHA256 of "<timestamp ms>:<body>". */
function signedHeaders(key: string, body: string, timestampMs: number): Record<string, string> {
  const timestamp = String(timestampMs);
  return {
    'x-webflow-timestamp': timestamp,
    'x-webflow-signature': createHmac('sha256', key).update(`${timestamp}:${body}`).digest('hex'),
  };
}

function withData(data: Record<string, unknown>): string {
  const body = JSON.parse(documented);
  body.payload.data = data;
  return JSON.stringify(body);
}

describe('webflowProvider.read', () => {
  it("reads the documented v2 form_submission: the inputs by their names, the phone number's JSON number as text", () => {
    const submission = webflowProvider.read(deliveryOf(documented), {});
    expect(submission.fields).toEqual([
      ['First Name', 'Zaphod'],
      ['Last Name', 'Beeblebrox'],
      ['email', 'zaphod@heartofgold.ai'],
      ['Phone Number', '15550000000'],
    ]);
    expect(submission.eventId).toBe('6321ca84df3949bfc6752327');
    expect(submission.notes).toBeUndefined();
  });

  it('gives the platform the lead NOTES.md expects', () => {
    const { submission } = readSubmission(webflowProvider.read(deliveryOf(documented), {}).fields);
    expect(submission).toMatchObject({ email: 'zaphod@heartofgold.ai', firstName: 'Zaphod', lastName: 'Beeblebrox', phone: '15550000000' });
    expect(submission.customFields).toEqual({});
  });

  it('reads the legacy v1 body and splits its full-name input', () => {
    const submission = webflowProvider.read(deliveryOf(documentedV1), {});
    expect(submission.fields).toEqual([
      ['firstName', 'Some'],
      ['lastName', 'One'],
      ['email', 'some.one@home.com'],
    ]);
    expect(submission.eventId).toBe('6321ca84df3949bfc6752327');
  });

  it('lets the field map name an input by its name or its element id', () => {
    const fields = webflowProvider.read(deliveryOf(documented), {
      'Phone Number': 'mobile',
      '285042f7-d554-dc7f-102c-aa10d6a2d2c5': 'surname_at_birth',
    }).fields;
    expect(fields).toEqual([
      ['First Name', 'Zaphod'],
      ['surname_at_birth', 'Beeblebrox'],
      ['email', 'zaphod@heartofgold.ai'],
      ['mobile', '15550000000'],
    ]);
  });

  it('names "Your email" and UTM inputs by what they are, keeps checkboxes as text and notes what is not text', () => {
    const submission = webflowProvider.read(
      deliveryOf(
        withData({
          'Your Email': 'trillian@example.com',
          utm_source: 'ads',
          'Subscribe me': true,
          Attachment: { url: 'https://x' },
          Empty: null,
        }),
      ),
      {},
    );
    expect(submission.fields).toEqual([
      ['Email', 'trillian@example.com'],
      ['utm_source', 'ads'],
      ['Subscribe me', 'true'],
    ]);
    expect(submission.notes).toEqual(['The value of "Attachment" (not text: a file or a list) was not kept.']);
    expect(readSubmission(submission.fields).submission).toMatchObject({ email: 'trillian@example.com', utm_source: 'ads' });
  });

  it('emits no email when the form has none (the platform refuses it with its own message)', () => {
    expect(webflowProvider.read(deliveryOf(withData({ Name: 'Arthur Dent' })), {}).fields).toEqual([
      ['firstName', 'Arthur'],
      ['lastName', 'Dent'],
    ]);
  });

  it.each([
    ['another trigger', JSON.stringify({ triggerType: 'site_publish', payload: { domains: [] } }), 'triggerType'],
    ['a Tally event', JSON.stringify({ eventId: 'e', data: { fields: [] }, eventType: 'FORM_RESPONSE' }), 'triggerType'],
    ['a submission without data', JSON.stringify({ triggerType: 'form_submission', payload: { id: 'x' } }), 'payload.data'],
  ])('refuses %s with a ValidationError saying what a Webflow delivery is', (_, rawBody, path) => {
    const read = () => webflowProvider.read(deliveryOf(rawBody), {});
    expect(read).toThrow(ValidationError);
    expect(read).toThrow('a Webflow delivery is a form_submission event with payload.data');
    try {
      read();
    } catch (error) {
      expect((error as ValidationError).details[0]?.path).toBe(path);
    }
  });
});

describe('webflowProvider.verify', () => {
  const fresh = now.getTime() - 10_000;

  it('accepts a fresh signature over "<timestamp>:<raw body>"', () => {
    expect(() => {
      webflowProvider.verify(deliveryOf(documented, signedHeaders(secret, documented, fresh)), secret, now);
    }).not.toThrow();
  });

  it("accepts a signature over JSON.stringify of the parsed body, which is what Webflow's own code signs", () => {
    const compact = JSON.stringify(JSON.parse(documented));
    expect(compact).not.toBe(documented);
    expect(() => {
      webflowProvider.verify(deliveryOf(documented, signedHeaders(secret, compact, fresh)), secret, now);
    }).not.toThrow();
  });

  it.each([
    ['a tampered body', signedHeaders(secret, documented, fresh), documented.replace('Zaphod', 'Ford'), /does not match/],
    ['another secret', signedHeaders('another-secret', documented, fresh), documented, /does not match/],
    [
      'a timestamp changed after signing',
      { ...signedHeaders(secret, documented, fresh), 'x-webflow-timestamp': String(fresh + 1) },
      documented,
      /does not match/,
    ],
    ['a stale timestamp', signedHeaders(secret, documented, now.getTime() - 5 * 60_000 - 1), documented, /more than 300 seconds away/],
    [
      'a timestamp from the future',
      signedHeaders(secret, documented, now.getTime() + 5 * 60_000 + 1),
      documented,
      /more than 300 seconds away/,
    ],
    ['a timestamp in seconds', signedHeaders(secret, documented, Math.floor(fresh / 1000)), documented, /more than 300 seconds away/],
    ['a signature without its timestamp', { 'x-webflow-signature': 'ab'.repeat(32) }, documented, /requires a X-Webflow-Timestamp header/],
    ['a timestamp without its signature', { 'x-webflow-timestamp': String(fresh) }, documented, /requires a X-Webflow-Signature header/],
  ])('refuses %s', (_, headers, rawBody, message) => {
    const verify = () => {
      webflowProvider.verify(deliveryOf(rawBody, headers), secret, now);
    };
    expect(verify).toThrow(InvalidSignatureError);
    expect(verify).toThrow(message);
  });

  it('refuses a malformed timestamp even when signed', () => {
    const headers = {
      'x-webflow-timestamp': '1e12',
      'x-webflow-signature': createHmac('sha256', secret).update(`1e12:${documented}`).digest('hex'),
    };
    expect(() => {
      webflowProvider.verify(deliveryOf(documented, headers), secret, now);
    }).toThrow(new InvalidSignatureError('the X-Webflow-Timestamp timestamp is malformed'));
  });

  it('refuses an unsigned delivery that carries no token either', () => {
    expect(() => {
      webflowProvider.verify(deliveryOf(documented), secret, now);
    }).toThrow(InvalidSignatureError);
    expect(() => {
      webflowProvider.verify(deliveryOf(documented), secret, now);
    }).toThrow(/requires an X-Webflow-Signature header .* or its token/);
  });

  it("accepts an unsigned delivery (a webhook made in the site's settings) with the form's token, and refuses a wrong one", () => {
    expect(() => {
      webflowProvider.verify(deliveryOf(documented, {}, { token: secret }), secret, now);
    }).not.toThrow();
    expect(() => {
      webflowProvider.verify(deliveryOf(documented, {}, { token: 'guessed' }), secret, now);
    }).toThrow(new InvalidSignatureError('the token does not match the form'));
  });

  it('does not let a token stand in for a signature that is present and wrong', () => {
    const headers = signedHeaders('another-secret', documented, fresh);
    expect(() => {
      webflowProvider.verify(deliveryOf(documented, headers, { token: secret }), secret, now);
    }).toThrow(InvalidSignatureError);
  });
});
