import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, ValidationError } from '../../../core/errors';
import { tallyProvider } from '../../../core/providers/tally';
import { readSubmission } from '../../../core/submission';
import { jsonDelivery, providerFixture } from './deliveries';

const documented = providerFixture('tally', 'form-response.json');
const secret = 'tally-signing-secret';
const now = new Date('2026-03-01T10:00:00Z');

/**
 * The documented example with a real payer address: the only full copy of the page had it
 * obfuscated to "[email protected]" (see NOTES.md), which hides the payer-vs-respondent trap.
 */
const withPayerEmail = documented.replace('"[email protected]"', '"alice.payments@example.com"');

const deliveryOf = jsonDelivery;

/** Tally's scheme, computed here independently: base64 HMAC-SHA256, no prefix. */
function signatureOf(key: string, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64');
}

function withFields(fields: unknown[]): string {
  const body = JSON.parse(documented);
  body.data.fields = fields;
  return JSON.stringify(body);
}

describe('tallyProvider.read', () => {
  it('reads the documented event: email and phone by type, the UTM hidden field, choices as their texts', () => {
    const submission = tallyProvider.read(deliveryOf(documented), {});
    expect(submission.fields).toEqual([
      ['utm_campaign', 'newsletter'],
      ['Text', 'Hello'],
      ['Number', '10'],
      ['email', 'alice@example.com'],
      ['phone', '+32491223344'],
      ['Website', 'example.com'],
      ['Date', '2023-06-28'],
      ['Time', '12:00'],
      ['Long text', 'Hello world'],
      ['Multiple choice', 'In progress'],
      ['Checkboxes', 'Swimming, Skiing'],
      ['Dropdown', 'Hard'],
      ['Multi-select', 'Surf, Golf'],
      ['Rating', '4'],
      ['Ranking', 'Pear, Apple, Banana'],
      ['Linear scale', '7'],
      ['Matrix', 'Quality: Satisfied; Speed: Neutral'],
    ]);
    expect(submission.eventId).toBe('a4cb511e-d513-4fa5-baee-b815d718dfd1');
    expect(submission.notes).toEqual([
      'The files uploaded to "File upload" were not kept.',
      'The payer\'s email and name in "Payment" were not taken as the lead\'s.',
      'The signature drawn in "Signature" was not kept.',
    ]);
  });

  it('gives the platform the lead NOTES.md expects: alice@example.com, +32491223344, utm_campaign newsletter, no name', () => {
    const { submission } = readSubmission(tallyProvider.read(deliveryOf(documented), {}).fields);
    expect(submission).toMatchObject({ email: 'alice@example.com', phone: '+32491223344', utm_campaign: 'newsletter' });
    for (const absent of ['firstName', 'lastName', 'company', 'jobTitle', 'message'] as const) {
      expect(submission[absent]).toBeUndefined();
    }
  });

  it("takes the respondent's email question, never the payer's email or name", () => {
    const fields = tallyProvider.read(deliveryOf(withPayerEmail), {}).fields;
    expect(fields.filter(([name]) => name === 'email')).toEqual([['email', 'alice@example.com']]);
    const values = fields.map(([, value]) => value);
    expect(values).not.toContain('alice.payments@example.com');
    expect(values).not.toContain('Alice Smith');
  });

  it('counts ticked checkboxes once, not again from the per-option true/false entries', () => {
    const names = tallyProvider.read(deliveryOf(documented), {}).fields.map(([name]) => name);
    expect(names.filter((name) => name.startsWith('Checkboxes'))).toEqual(['Checkboxes']);
  });

  it('keeps calculated fields only when the field map names them', () => {
    const fields = tallyProvider.read(deliveryOf(documented), {
      'question_nPpjVn_84b69d73-0a85-4577-89f4-8632632cc222': 'quiz_score',
    }).fields;
    expect(fields).toContainEqual(['quiz_score', '20']);
    expect(fields.map(([name]) => name)).not.toContain('Type');
  });

  it('lets the field map name a question by key or by label', () => {
    const fields = tallyProvider.read(deliveryOf(documented), { question_3Nrpl3: 'message', Text: 'company' }).fields;
    expect(fields).toContainEqual(['message', 'Hello world']);
    expect(fields).toContainEqual(['company', 'Hello']);
  });

  it("uses the payer's name and email only when the field map says so, and then the respondent's email question yields", () => {
    const submission = tallyProvider.read(deliveryOf(withPayerEmail), { question_wa9QBw_name: 'name', question_wa9QBw_email: 'email' });
    expect(submission.fields).toContainEqual(['firstName', 'Alice']);
    expect(submission.fields).toContainEqual(['lastName', 'Smith']);
    expect(submission.fields).toContainEqual(['email', 'alice.payments@example.com']);
    expect(submission.fields).toContainEqual(['question_w4Q4Xn', 'alice@example.com']);
    expect(submission.notes).not.toContain('The payer\'s email and name in "Payment" were not taken as the lead\'s.');
    const { submission: lead } = readSubmission(submission.fields);
    expect(lead).toMatchObject({ email: 'alice.payments@example.com', firstName: 'Alice', lastName: 'Smith' });
  });

  it('splits a name question and maps every UTM hidden field', () => {
    const fields = tallyProvider.read(
      deliveryOf(
        withFields([
          { key: 'question_a', label: 'What is your name?', type: 'INPUT_TEXT', value: 'Grace Hopper' },
          { key: 'question_b', label: 'Work email', type: 'INPUT_EMAIL', value: 'grace@example.com' },
          { key: 'question_c_1', label: 'utm_source', type: 'HIDDEN_FIELDS', value: 'linkedin' },
          { key: 'question_c_2', label: 'UTM-Medium', type: 'HIDDEN_FIELDS', value: 'social' },
          { key: 'question_c_3', label: 'ref', type: 'HIDDEN_FIELDS', value: 'partner-7' },
          { key: 'question_d', label: 'Company', type: 'INPUT_TEXT', value: null },
        ]),
      ),
      {},
    ).fields;
    expect(fields).toEqual([
      ['firstName', 'Grace'],
      ['lastName', 'Hopper'],
      ['email', 'grace@example.com'],
      ['utm_source', 'linkedin'],
      ['utm_medium', 'social'],
      ['ref', 'partner-7'],
    ]);
  });

  it('emits no email when the response has none (the platform refuses it with its own message)', () => {
    const submission = tallyProvider.read(
      deliveryOf(withFields([{ key: 'question_a', label: 'Text', type: 'INPUT_TEXT', value: 'Hello' }])),
      {},
    );
    expect(submission.fields).toEqual([['Text', 'Hello']]);
  });

  it('notes an answer of a type it cannot read', () => {
    const submission = tallyProvider.read(
      deliveryOf(withFields([{ key: 'question_a', label: 'Map', type: 'LOCATION', value: { lat: 1, lng: 2 } }])),
      {},
    );
    expect(submission.fields).toEqual([]);
    expect(submission.notes).toEqual(['The answer to "Map" (a Tally LOCATION field) was not kept.']);
  });

  it.each([
    ['a Typeform delivery', JSON.stringify({ event_id: 'e', form_response: { answers: [] } }), 'data'],
    ['an event without fields', JSON.stringify({ eventId: 'e', eventType: 'FORM_RESPONSE', data: { formId: 'f' } }), 'data.fields'],
  ])('refuses %s with a ValidationError naming data.fields', (_, rawBody, path) => {
    const read = () => tallyProvider.read(deliveryOf(rawBody), {});
    expect(read).toThrow(ValidationError);
    expect(read).toThrow('a Tally delivery has data.fields');
    try {
      read();
    } catch (error) {
      expect((error as ValidationError).details[0]?.path).toBe(path);
    }
  });
});

describe('tallyProvider.verify', () => {
  it('accepts a signature over the raw body', () => {
    expect(() => {
      tallyProvider.verify(deliveryOf(documented, { 'tally-signature': signatureOf(secret, documented) }), secret, now);
    }).not.toThrow();
  });

  it("accepts a signature over JSON.stringify of the parsed body, which is what Tally's documented code signs", () => {
    const compact = JSON.stringify(JSON.parse(documented));
    expect(compact).not.toBe(documented);
    expect(() => {
      tallyProvider.verify(deliveryOf(documented, { 'tally-signature': signatureOf(secret, compact) }), secret, now);
    }).not.toThrow();
  });

  it.each([
    ['a tampered body', signatureOf(secret, documented), documented.replace('alice@example.com', 'eve@example.com')],
    [
      'a tampered body signed compactly',
      signatureOf(secret, JSON.stringify(JSON.parse(documented))),
      documented.replace('+32491223344', '+32000000000'),
    ],
    ['another secret', signatureOf('another-secret', documented), documented],
    ['a hex digest', createHmac('sha256', secret).update(documented).digest('hex'), documented],
  ])('refuses %s', (_, header, rawBody) => {
    const verify = () => {
      tallyProvider.verify(deliveryOf(rawBody, { 'tally-signature': header }), secret, now);
    };
    expect(verify).toThrow(InvalidSignatureError);
    expect(verify).toThrow("the Tally-Signature does not match the body and the form's secret");
  });

  it('refuses a delivery without Tally-Signature', () => {
    expect(() => {
      tallyProvider.verify(deliveryOf(documented), secret, now);
    }).toThrow(new InvalidSignatureError('this form requires a Tally-Signature header'));
  });
});
