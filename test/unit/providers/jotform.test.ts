import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, ValidationError } from '../../../core/errors';
import { jotformProvider } from '../../../core/providers/jotform';
import type { Delivery, ReceivedFile } from '../../../core/providers/types';

// Jotform documents no example body: this one is assembled from the documented field list (see its NOTES.md).
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/providers/jotform/assembled-from-documented-fields.json', import.meta.url), 'utf8'),
) as Record<string, string>;
const fixtureRaw = JSON.parse(fixture.rawRequest!) as Record<string, unknown>;
const secret = 'jotform-form-token-0123456789';
const now = new Date('2026-03-01T10:00:00Z');
const boundary = '----JotformBoundary7MA4YWxkTrZu0gW';

/** A multipart body of text parts, as the HTTP layer would have read it. */
function delivery(parts: Array<[string, string]> = Object.entries(fixture), overrides: Partial<Delivery> = {}): Delivery {
  const rawBody =
    parts.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('') +
    `--${boundary}--\r\n`;
  return {
    mediaType: 'multipart/form-data',
    rawBody,
    fields: parts,
    files: [],
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    query: { token: secret },
    method: 'POST',
    url: `https://api.example.com/v1/forms/x/submissions?token=${secret}`,
    ...overrides,
  };
}

/** The fixture's top-level parts with another `rawRequest`. */
function withRawRequest(rawRequest: string): Delivery {
  return delivery(Object.entries({ ...fixture, rawRequest }));
}

const withAnswers = (answers: Record<string, unknown>) => withRawRequest(JSON.stringify(answers));

describe('jotformProvider.read', () => {
  it('reads the assembled body: name split, email and phone by meaning, country from the address, UTM hidden fields', () => {
    const { fields, eventId } = jotformProvider.read(delivery(), {});
    expect(fields).toEqual([
      ['firstName', 'Ada'],
      ['lastName', 'Lovelace'],
      ['referrerEmail', 'charles@example.org'],
      ['email', 'ada@example.com'],
      ['phone', '(555) 010-2030'],
      ['company', 'Analytical Engines Ltd'],
      ['jobTitle', 'Head of Research'],
      ['address', '12 Example Street, London, Greater London, NW1 6XE'],
      ['country', 'United Kingdom'],
      ['referrerName', 'Charles Babbage'],
      ['preferredDate', '2026-03-14'],
      ['teamSize', '11-50'],
      ['utm_source', 'newsletter'],
      ['utm_campaign', 'spring-launch'],
    ]);
    expect(eventId).toBe('5912345678901234567');
  });

  it("avoids the traps: the referrer's email and name are never the lead's, whatever their order", () => {
    const { fields } = jotformProvider.read(delivery(), {});
    expect(fields.filter(([name]) => name === 'email')).toEqual([['email', 'ada@example.com']]);
    expect(fields.filter(([name]) => name === 'firstName' || name === 'lastName')).toEqual([
      ['firstName', 'Ada'],
      ['lastName', 'Lovelace'],
    ]);
  });

  it('notes the file upload instead of keeping it as a field', () => {
    const { fields, notes } = jotformProvider.read(delivery(), {});
    expect(fields.map(([name]) => name)).not.toContain('fileUpload');
    expect(JSON.stringify(fields)).not.toContain('brief.pdf');
    expect(notes).toEqual(['The file uploaded to "fileUpload" was not kept: leadflow stores no files.']);
  });

  it("keeps Jotform's top-level parts (IP, username, pretty, form title) out of the lead", () => {
    const text = JSON.stringify(jotformProvider.read(delivery(), {}));
    for (const value of ['203.0.113.7', 'acme_marketing', 'Request a demo', 'Full Name:']) expect(text).not.toContain(value);
  });

  it('reads the urlencoded variant of the same body', () => {
    const parts = Object.entries(fixture);
    const urlencoded = delivery(parts, { mediaType: 'application/x-www-form-urlencoded', rawBody: new URLSearchParams(parts).toString() });
    expect(jotformProvider.read(urlencoded, {})).toEqual(jotformProvider.read(delivery(), {}));
    expect(jotformProvider.mediaTypes).toEqual(['multipart/form-data', 'application/x-www-form-urlencoded']);
  });

  it('decodes a rawRequest whose quotes arrive backslash-escaped, and a well-formed one holding escaped quotes', () => {
    const escaped = fixture.rawRequest!.replace(/"/g, '\\"');
    expect(jotformProvider.read(withRawRequest(escaped), {}).fields).toEqual(jotformProvider.read(delivery(), {}).fields);
    const quoted = { q5_email: 'ada@example.com', q6_message: 'She said "hello" and \'bye\'' };
    expect(jotformProvider.read(withAnswers(quoted), {}).fields).toContainEqual(['message', 'She said "hello" and \'bye\'']);
    const addslashed = JSON.stringify(quoted).replace(/'/g, "\\'").replace(/"/g, '\\"');
    expect(jotformProvider.read(withRawRequest(addslashed), {}).fields).toContainEqual(['email', 'ada@example.com']);
  });

  it("ignores Jotform's own bookkeeping keys and notes listed uploads (temp_upload)", () => {
    const { fields, notes } = jotformProvider.read(
      withAnswers({
        slug: 'submit/241234567890123/',
        submitSource: 'form',
        validatedNewRequiredFieldIDs: '{"new":1}',
        temp_upload: { q8_resume: ['cv.pdf#abc'] },
        q4_email: 'ada@example.com',
        q8_resume: ['cv.pdf'],
      }),
      {},
    );
    expect(fields).toEqual([['email', 'ada@example.com']]);
    expect(notes).toEqual(['The file uploaded to "resume" was not kept: leadflow stores no files.']);
  });

  it('notes multipart file parts too, once per field', () => {
    const files: ReceivedFile[] = [
      { field: 'q12_fileUpload', filename: 'brief.pdf', contentType: 'application/pdf', bytes: 1024 },
      { field: 'q16_photo', filename: 'me.png', contentType: 'image/png', bytes: 2048 },
    ];
    const { notes } = jotformProvider.read(delivery(Object.entries(fixture), { files }), {});
    expect(notes).toEqual([
      'The file uploaded to "fileUpload" was not kept: leadflow stores no files.',
      'The file uploaded to "photo" was not kept: leadflow stores no files.',
    ]);
  });

  it('reads other answer shapes: a full phone, a full name as text, a middle name, checkboxes', () => {
    const { fields } = jotformProvider.read(
      withAnswers({
        q2_fullName: 'Ada King Lovelace',
        q3_email3: 'ada@example.com',
        q4_phoneNumber4: { full: '+44 20 7946 0000' },
        q5_interests: ['Scoring', 'Nurture'],
        q6_typeA6: '',
        q7_emptyName: { first: '', last: '' },
      }),
      {},
    );
    expect(fields).toEqual([
      ['firstName', 'Ada King'],
      ['lastName', 'Lovelace'],
      ['email', 'ada@example.com'],
      ['phone', '+44 20 7946 0000'],
      ['interests', 'Scoring, Nurture'],
    ]);
    expect(
      jotformProvider.read(withAnswers({ q3_name: { prefix: 'Dr', first: 'Ada', middle: 'King', last: 'Lovelace' } }), {}).fields,
    ).toEqual([
      ['firstName', 'Ada King'],
      ['lastName', 'Lovelace'],
    ]);
  });

  it("takes a single name- or phone-shaped answer as the lead's, but does not guess between several", () => {
    expect(jotformProvider.read(withAnswers({ q3_contactPerson: { first: 'Ada', last: 'Lovelace' } }), {}).fields).toEqual([
      ['firstName', 'Ada'],
      ['lastName', 'Lovelace'],
    ]);
    const two = { q3_contactPerson: { first: 'Ada', last: 'Lovelace' }, q4_assistant: { first: 'Mary', last: 'Somerville' } };
    expect(jotformProvider.read(withAnswers(two), {}).fields).toEqual([
      ['contactPerson', 'Ada Lovelace'],
      ['assistant', 'Mary Somerville'],
    ]);
  });

  it('lets the field map override by qN_slug key or by slug, and takes over the role it names', () => {
    const { fields } = jotformProvider.read(delivery(), { q4_referrerEmail: 'email', email: 'personalEmail', q13_teamSize: 'companySize' });
    expect(fields.filter(([name]) => name === 'email')).toEqual([['email', 'charles@example.org']]);
    expect(fields).toContainEqual(['personalEmail', 'ada@example.com']);
    expect(fields).toContainEqual(['companySize', '11-50']);
    expect(fields).not.toContainEqual(['teamSize', '11-50']);
    const named = jotformProvider.read(delivery(), { q10_referrerName: 'firstName' }).fields;
    expect(named.filter(([name]) => name === 'firstName' || name === 'lastName')).toEqual([['firstName', 'Charles Babbage']]);
    expect(named).toContainEqual(['name', 'Ada Lovelace']);
  });

  it('emits no email field when the form has none (the platform refuses it)', () => {
    const { fields } = jotformProvider.read(
      withAnswers({ q3_name: { first: 'Ada', last: 'Lovelace' }, q4_referrerEmail: 'c@example.org' }),
      {},
    );
    expect(fields.map(([name]) => name)).not.toContain('email');
  });

  it('notes an answer that is not text, without its content', () => {
    const { fields, notes } = jotformProvider.read(withAnswers({ q4_email: 'ada@example.com', q9_matrix: { row1: { a: '1' } } }), {});
    expect(fields).toEqual([['email', 'ada@example.com']]);
    expect(notes).toEqual(['The Jotform answer "q9_matrix" is not text and was not kept.']);
  });

  it('has no eventId without a submissionID', () => {
    const parts = Object.entries(fixture).filter(([name]) => name !== 'submissionID');
    expect(jotformProvider.read(delivery(parts), {}).eventId).toBeUndefined();
  });

  it.each([
    ['no rawRequest', [['formID', '241234567890123']], 'is missing'],
    ['a rawRequest that is not JSON', [['rawRequest', 'q3_name=Ada']], 'is not JSON'],
    ['a rawRequest that is not an object', [['rawRequest', '["ada@example.com"]']], 'is not a JSON object'],
  ] as Array<[string, Array<[string, string]>, string]>)('refuses a body with %s as a ValidationError', (_, parts, detail) => {
    const read = () => jotformProvider.read(delivery(parts), {});
    expect(read).toThrow(ValidationError);
    expect(read).toThrow('a Jotform delivery has a rawRequest field holding the answers as a JSON object');
    try {
      read();
    } catch (error) {
      expect((error as ValidationError).details).toEqual([{ path: 'rawRequest', message: detail }]);
    }
  });

  it('refuses an Unbounce body (a data.json, no rawRequest)', () => {
    const parts: Array<[string, string]> = [
      ['page_id', 'a2838d98'],
      ['data.json', '{"email":["test@test.com"]}'],
    ];
    expect(() => jotformProvider.read(delivery(parts, { mediaType: 'application/x-www-form-urlencoded' }), {})).toThrow(ValidationError);
  });

  it('the assembled fixture keeps the documented compound shapes', () => {
    expect(fixtureRaw.q3_name).toEqual({ first: 'Ada', last: 'Lovelace' });
    expect(Object.keys(fixtureRaw.q9_address as object)).toEqual(['addr_line1', 'addr_line2', 'city', 'state', 'postal', 'country']);
  });
});

describe('jotformProvider.verify (Jotform cannot sign: the form token)', () => {
  it('accepts the token in the webhook URL or in an X-Leadflow-Token header', () => {
    expect(() => {
      jotformProvider.verify(delivery(), secret, now);
    }).not.toThrow();
    expect(() => {
      jotformProvider.verify(delivery(Object.entries(fixture), { query: {}, headers: { 'x-leadflow-token': secret } }), secret, now);
    }).not.toThrow();
  });

  it.each([
    ['a missing token', {}, {}, /requires its token/],
    ['a wrong token', { token: 'jotform-form-token-guessed000' }, {}, /does not match/],
    ['a wrong header token', {}, { 'x-leadflow-token': 'nope' }, /does not match/],
  ])('refuses %s', (_, query, headers, message) => {
    const verify = () => {
      jotformProvider.verify(delivery(Object.entries(fixture), { query, headers }), secret, now);
    };
    expect(verify).toThrow(InvalidSignatureError);
    expect(verify).toThrow(message);
  });

  it("refuses another form's secret", () => {
    expect(() => {
      jotformProvider.verify(delivery(), 'another-form-token-0123456789', now);
    }).toThrow(InvalidSignatureError);
  });

  it('does not cover the body: a token authenticates the sender, not the content (Jotform signs nothing)', () => {
    const tampered = withRawRequest(fixture.rawRequest!.replace('ada@example.com', 'eve@example.com'));
    expect(() => {
      jotformProvider.verify(tampered, secret, now);
    }).not.toThrow();
  });
});
