import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors';
import { MAX_CUSTOM_FIELDS, isSpam, normalizeEmail, parseFields, readSubmission, validateSubmission } from '../../core/submission';

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parseFields', () => {
  it('turns scalars into strings, in the order sent', () => {
    expect(
      parseFields([
        ['email', 'a@b.co'],
        ['employees', 42],
        ['consent', true],
      ]),
    ).toEqual([
      ['email', 'a@b.co'],
      ['employees', '42'],
      ['consent', 'true'],
    ]);
  });

  it('keeps a field given twice, as a checkbox group sends it', () => {
    expect(
      parseFields([
        ['interest', 'pricing'],
        ['interest', 'demo'],
      ]),
    ).toEqual([
      ['interest', 'pricing'],
      ['interest', 'demo'],
    ]);
  });

  it('rejects NUL bytes and other control characters, in values and names', () => {
    const error = errorOf(() =>
      parseFields([
        ['email', 'a@b.co'],
        ['company', 'Ac\u0000me'],
        ['x\u0007', 'y'],
      ]),
    );
    expect(error.details).toEqual([
      { path: 'company', message: 'contains control characters' },
      { path: '(field name)', message: 'contains control characters' },
    ]);
  });

  it('keeps newlines and tabs a textarea sends, and NFC-normalizes text', () => {
    expect(parseFields([['message', 'line1\r\nline2\tx']])).toEqual([['message', 'line1\r\nline2\tx']]);
    expect(parseFields([['firstName', 'Zoe\u0301']])).toEqual([['firstName', 'Zo\u00e9']]);
  });

  it('joins lists, flattens objects into dotted names, ignores nulls, and refuses deeper nesting', () => {
    expect(
      parseFields([
        ['email', 'a@b.co'],
        ['tags', ['a', 'b', 3]],
        ['company', { name: 'Acme', size: 40 }],
        ['phone', null],
      ]),
    ).toEqual([
      ['email', 'a@b.co'],
      ['tags', 'a, b, 3'],
      ['company.name', 'Acme'],
      ['company.size', '40'],
    ]);
    const error = errorOf(() => parseFields([['deep', { a: { b: { c: 1 } } }]]));
    expect(error.details).toEqual([{ path: 'deep.a.b', message: 'must be a string, number or boolean, or a list of them' }]);
  });
});

describe('validateSubmission', () => {
  it('maps field spellings to canonical names and keeps unknown fields as custom fields', () => {
    const submission = validateSubmission({
      Email: ' Ada@Example.com ',
      first_name: 'Ada',
      'job-title': 'CTO',
      utmSource: 'LinkedIn',
      favourite_colour: 'green',
    });
    expect(submission).toMatchObject({
      email: 'Ada@Example.com',
      firstName: 'Ada',
      jobTitle: 'CTO',
      utm_source: 'LinkedIn',
      customFields: { favourite_colour: 'green' },
    });
  });

  it('requires an email, naming the fields it looked at, and says which field is wrong', () => {
    const missing = errorOf(() => validateSubmission({ firstName: 'Ada', work_mail: 'ada@example.com' }));
    expect(missing.message).toBe('the submission has no email address');
    expect(missing.details).toEqual([
      { path: 'email', message: "is required: no field is an email (by its name or the form's field map); received firstName, work_mail" },
    ]);
    expect(errorOf(() => validateSubmission({ email: 'not-an-email' })).details).toEqual([
      { path: 'email', message: 'is not a valid email address' },
    ]);
  });

  it('rejects an over-long field with its name', () => {
    const error = errorOf(() => validateSubmission({ email: 'a@b.co', company: 'x'.repeat(10_000) }));
    expect(error.details).toEqual([{ path: 'company', message: 'must be at most 200 characters' }]);
  });

  it('never refuses two spellings of one field: the exact name wins, else the first, and the other is kept', () => {
    const both = readSubmission([
      ['Email Address', 'first@b.co'],
      ['need', 'Forecasting'],
      ['email', 'a@b.co'],
      ['message', 'We need forecasting'],
      ['first_name', 'A'],
      ['FirstName', 'B'],
    ]);
    expect(both.submission).toMatchObject({ email: 'a@b.co', message: 'We need forecasting', firstName: 'A' });
    expect(both.submission.customFields).toEqual({ Email_Address: 'first@b.co', need: 'Forecasting', FirstName: 'B' });
    expect(both.notes).toEqual([]);
  });

  it('keeps every value of a repeated custom field and stores odd names under usable ones', () => {
    const { submission } = readSubmission([
      ['email', 'a@b.co'],
      ['Interests', 'pricing'],
      ['Interests', 'demo'],
      ["What's your budget?", '10k'],
      ['2nd choice', 'x'],
    ]);
    expect(submission.customFields).toEqual({ Interests: 'pricing, demo', What_s_your_budget: '10k', nd_choice: 'x' });
  });

  it('keeps the first custom fields over the limit and notes which were dropped', () => {
    const extra = Array.from({ length: MAX_CUSTOM_FIELDS + 2 }, (_, i): [string, string] => [`extra${String(i)}`, 'x']);
    const { submission, notes } = readSubmission([['email', 'a@b.co'], ...extra]);
    expect(Object.keys(submission.customFields)).toHaveLength(MAX_CUSTOM_FIELDS);
    expect(submission.customFields.extra0).toBe('x');
    expect(notes).toEqual([`2 more custom fields than the ${String(MAX_CUSTOM_FIELDS)} kept were dropped: extra30, extra31`]);
  });

  it('treats empty optional inputs as absent and reads checkbox consent', () => {
    const submission = validateSubmission({ email: 'a@b.co', phone: '', consent: 'on' });
    expect(submission.phone).toBeUndefined();
    expect(submission.consent).toBe(true);
  });

  it('drops the ignored honeypot field', () => {
    expect(validateSubmission({ email: 'a@b.co', _gotcha: '' }, ['_gotcha']).customFields).toEqual({});
  });
});

describe('spam and identity', () => {
  it('flags a filled honeypot only', () => {
    expect(isSpam([['_gotcha', 'http://spam']], '_gotcha')).toBe(true);
    expect(isSpam([['_gotcha', '  ']], '_gotcha')).toBe(false);
    expect(isSpam([], '_gotcha')).toBe(false);
  });

  it('normalizes emails case-insensitively', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
  });
});

describe('fields named like Object.prototype members', () => {
  it('are custom fields, never mistaken for lead fields (a 500 the fuzzing suite found)', () => {
    const { submission } = readSubmission(
      [
        ['email', 'ada@example.com'],
        ['constructor', 'x'],
        ['toString', 'y'],
        ['__proto__', 'z'],
        ['hasOwnProperty', 'w'],
      ],
      [],
    );
    expect(submission.email).toBe('ada@example.com');
    // Custom field names are cleaned to letters, digits and _.- (so `__proto__` is kept as `proto`).
    expect(Object.keys(submission.customFields).sort()).toEqual(['constructor', 'hasOwnProperty', 'proto', 'toString']);
  });
});
