import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, ValidationError } from '../../../core/errors';
import { typeformProvider } from '../../../core/providers/typeform';
import { readSubmission } from '../../../core/submission';
import { jsonDelivery, providerFixture } from './deliveries';

const documented = providerFixture('typeform', 'form-response.json');
const secret = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const now = new Date('2026-03-01T10:00:00Z');

const deliveryOf = jsonDelivery;

/** Typeform's scheme, computed here independently: `sha256=` + base64 HMAC-SHA256 of the raw body. */
function signatureOf(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('base64')}`;
}

/** The documented body with its answers replaced (the rest of the envelope as documented). */
function withAnswers(answers: unknown[], eventType = 'form_response'): string {
  const body = JSON.parse(documented);
  body.event_type = eventType;
  body.form_response.answers = answers;
  return JSON.stringify(body);
}

describe('typeformProvider.read', () => {
  it('reads the documented form_response: the email answer, the first name, every other answer by its title', () => {
    const submission = typeformProvider.read(deliveryOf(documented), {});
    expect(submission.fields).toEqual([
      ['user_id', 'abc123456'],
      [
        "Thanks, {{answer_60906475}}! What's it like where you live? Tell us in a few sentences.",
        "It's cold right now! I live in an older medium-sized city with a university. Geographically, the area is hilly.",
      ],
      ['email', 'laura@example.com'],
      ['first name', 'Laura'],
      ['When did you move to the place where you live?', '2005-10-15'],
      ['Which pictures do you like? You can choose as many as you like.', 'London, Sydney'],
      ['On a scale of 1 to 5, what rating would you give the weather in Sydney? 1 is poor weather, 5 is excellent weather', '5'],
      [
        'By submitting this form, you understand and accept that we will share your answers with city management. Your answers will be anonymous will not be shared.',
        'true',
      ],
      ['Which of these cities is your favorite?', 'London'],
      ["Do you have a favorite city we haven't listed?", 'false'],
      ['How important is the weather to your opinion about a city? 1 is not important, 5 is very important.', '2'],
      ['How would you rate the weather where you currently live? 1 is poor weather, 5 is excellent weather.', '3'],
      ['On a scale of 1 to 5, what rating would you give the general quality of life in Sydney? 1 is poor, 5 is excellent', '4'],
      ['Book a time with me', 'https://calendly.com/scheduled_events/EVENT_TYPE/invitees/INVITEE'],
    ]);
    expect(submission.eventId).toBe('LtWXD3crgy');
    expect(submission.notes).toBeUndefined();
    expect(submission.engagement).toBeUndefined();
  });

  it('gives the platform the lead NOTES.md expects: laura@example.com, first name Laura, nothing else of the lead', () => {
    const { submission } = readSubmission(typeformProvider.read(deliveryOf(documented), {}).fields);
    expect(submission).toMatchObject({ email: 'laura@example.com', firstName: 'Laura' });
    for (const absent of ['lastName', 'company', 'jobTitle', 'phone', 'message', 'utm_source', 'consent'] as const) {
      expect(submission[absent]).toBeUndefined();
    }
    expect(submission.customFields.user_id).toBe('abc123456');
  });

  it('never reads the logic variables: the variable called "name" is not the respondent', () => {
    const fields = typeformProvider.read(deliveryOf(documented), {}).fields;
    expect(fields.map(([, value]) => value)).not.toContain('typeform');
    expect(fields.map(([name]) => name)).not.toContain('name');
    expect(fields.map(([name]) => name)).not.toContain('score');
  });

  it('lets the field map name an answer by ref or by id, and keep a logic variable under a chosen name', () => {
    const fields = typeformProvider.read(deliveryOf(documented), {
      readable_ref_long_text: 'message',
      Q7M2XAwY04dW: 'weather_rating',
      score: 'quiz_score',
    }).fields;
    expect(fields).toContainEqual([
      'message',
      "It's cold right now! I live in an older medium-sized city with a university. Geographically, the area is hilly.",
    ]);
    expect(fields).toContainEqual(['weather_rating', '5']);
    expect(fields).toContainEqual(['quiz_score', '4']);
  });

  it('lets the field map override what an answer type says', () => {
    const fields = typeformProvider.read(deliveryOf(documented), { readable_ref_email: 'city_contact' }).fields;
    expect(fields).toContainEqual(['city_contact', 'laura@example.com']);
    expect(fields.map(([name]) => name)).not.toContain('email');
  });

  it('maps phone_number answers to phone and UTM hidden fields to attribution', () => {
    const body = JSON.parse(
      withAnswers([
        { type: 'email', email: 'ada@example.com', field: { id: 'e1', type: 'email' } },
        { type: 'phone_number', phone_number: '+44 20 7946 0000', field: { id: 'p1', type: 'phone_number' } },
      ]),
    );
    body.form_response.hidden = { utm_source: 'newsletter', utm_campaign: 'spring' };
    const fields = typeformProvider.read(deliveryOf(JSON.stringify(body)), {}).fields;
    expect(fields).toEqual([
      ['utm_source', 'newsletter'],
      ['utm_campaign', 'spring'],
      ['email', 'ada@example.com'],
      ['phone', '+44 20 7946 0000'],
    ]);
  });

  it('splits a full-name question and names "Your company" by what it asks', () => {
    const body = JSON.parse(
      withAnswers([
        { type: 'text', text: 'Ada King Lovelace', field: { id: 'n1', type: 'short_text' } },
        { type: 'text', text: 'Analytical Engines Ltd', field: { id: 'c1', type: 'short_text' } },
      ]),
    );
    body.form_response.definition.fields = [
      { id: 'n1', title: 'What is your full name?', type: 'short_text', ref: 'full_name' },
      { id: 'c1', title: 'Your company *', type: 'short_text', ref: 'company_ref' },
    ];
    expect(typeformProvider.read(deliveryOf(JSON.stringify(body)), {}).fields).toEqual([
      ['user_id', 'abc123456'],
      ['firstName', 'Ada King'],
      ['lastName', 'Lovelace'],
      ['company', 'Analytical Engines Ltd'],
    ]);
  });

  it('finds the titles of questions inside a group', () => {
    const body = JSON.parse(
      withAnswers([
        { type: 'text', text: 'Ada', field: { id: 'fn', type: 'short_text', ref: 'contact_first' } },
        { type: 'text', text: 'Lovelace', field: { id: 'ln', type: 'short_text', ref: 'contact_last' } },
      ]),
    );
    body.form_response.definition.fields = [
      {
        id: 'grp',
        title: 'Contact details',
        type: 'contact_info',
        properties: {
          fields: [
            { id: 'fn', title: 'First name', type: 'short_text', ref: 'contact_first' },
            { id: 'ln', title: 'Last name', type: 'short_text', ref: 'contact_last' },
          ],
        },
      },
    ];
    expect(typeformProvider.read(deliveryOf(JSON.stringify(body)), {}).fields).toEqual([
      ['user_id', 'abc123456'],
      ['First name', 'Ada'],
      ['Last name', 'Lovelace'],
    ]);
  });

  it('notes file uploads and payments, which it does not keep', () => {
    const submission = typeformProvider.read(
      deliveryOf(
        withAnswers([
          { type: 'email', email: 'laura@example.com', field: { id: 'SMEUb7VJz92Q', type: 'email' } },
          {
            type: 'file_url',
            file_url: 'https://api.typeform.com/forms/x/responses/y/fields/z/files/cv.pdf',
            field: { id: 'f1', type: 'file_upload' },
          },
          {
            type: 'payment',
            payment: { amount: '10', last4: '4242', name: 'Laura', success: true },
            field: { id: 'pay', type: 'payment' },
          },
        ]),
      ),
      {},
    );
    expect(submission.fields).toEqual([
      ['user_id', 'abc123456'],
      ['email', 'laura@example.com'],
    ]);
    expect(submission.notes).toEqual(['The file uploaded to "f1" was not kept.', 'The payment made in "pay" was not kept.']);
  });

  it('says when a response is partial', () => {
    const submission = typeformProvider.read(deliveryOf(withAnswers([], 'form_response_partial')), {});
    expect(submission.notes).toEqual(['Typeform sent a partial response: the respondent had not finished the form.']);
  });

  it('emits no email when the response has none (the platform refuses it with its own message)', () => {
    const fields = typeformProvider.read(
      deliveryOf(withAnswers([{ type: 'text', text: 'Laura', field: { id: 'JwWggjAKtOkA', type: 'short_text' } }])),
      {},
    ).fields;
    expect(fields).toEqual([
      ['user_id', 'abc123456'],
      ['first name', 'Laura'],
    ]);
  });

  it.each([
    ['a Tally event', JSON.stringify({ eventId: 'e', eventType: 'FORM_RESPONSE', data: { fields: [] } }), 'form_response'],
    ['a response without answers', JSON.stringify({ event_id: 'e', form_response: { form_id: 'f' } }), 'form_response.answers'],
  ])('refuses %s with a ValidationError naming form_response.answers', (_, rawBody, path) => {
    const read = () => typeformProvider.read(deliveryOf(rawBody), {});
    expect(read).toThrow(ValidationError);
    expect(read).toThrow('a Typeform delivery has form_response.answers');
    try {
      read();
    } catch (error) {
      expect((error as ValidationError).details[0]?.path).toBe(path);
    }
  });

  it('refuses a body that is not a JSON object', () => {
    expect(() => typeformProvider.read(deliveryOf('[1,2]'), {})).toThrow('a Typeform delivery is a JSON object');
  });
});

describe('typeformProvider.verify', () => {
  it.each([
    ['my-webook-secret', 'sha256=FhVodsSGB+QthTXIf8EZYpoPTiu8+Zfr1wVcD3Ii75A='],
    ['custom-secret', 'sha256=HzxMTtYAfEJLDW/2zaHNZDTn1m0dtbWFlOqmkKe6LT4='],
  ])("accepts the Typeform SDK's test vector for %s (it signs the 15 bytes [object Object])", (key, header) => {
    expect(() => {
      typeformProvider.verify(deliveryOf('[object Object]', { 'typeform-signature': header }), key, now);
    }).not.toThrow();
  });

  it('accepts a signature over the raw documented body', () => {
    expect(() => {
      typeformProvider.verify(deliveryOf(documented, { 'typeform-signature': signatureOf(secret, documented) }), secret, now);
    }).not.toThrow();
  });

  it.each([
    ['a tampered body', signatureOf(secret, documented), documented.replace('laura@example.com', 'eve@example.com'), /does not match/],
    ['another secret', signatureOf('another-secret', documented), documented, /does not match/],
    ['a re-serialized body', signatureOf(secret, JSON.stringify(JSON.parse(documented))), documented, /does not match/],
    ['a bare digest without sha256=', signatureOf(secret, documented).slice('sha256='.length), documented, /must be sha256=/],
  ])('refuses %s', (_, header, rawBody, message) => {
    const verify = () => {
      typeformProvider.verify(deliveryOf(rawBody, { 'typeform-signature': header }), secret, now);
    };
    expect(verify).toThrow(InvalidSignatureError);
    expect(verify).toThrow(message);
  });

  it('refuses a delivery without Typeform-Signature', () => {
    expect(() => {
      typeformProvider.verify(deliveryOf(documented), secret, now);
    }).toThrow(new InvalidSignatureError('this form requires a Typeform-Signature header'));
  });
});
