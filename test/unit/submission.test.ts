import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../core/errors';
import { isSpam, normalizeEmail, parseFields, validateSubmission, MAX_BODY_BYTES } from '../../core/submission';

const form = 'application/x-www-form-urlencoded';
const json = 'application/json; charset=utf-8';

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
  it('reads a urlencoded HTML form body', () => {
    const fields = parseFields({ contentType: form, body: 'email=ada%40example.com&first_name=Ada&message=a+b' });
    expect(fields).toEqual({ email: 'ada@example.com', first_name: 'Ada', message: 'a b' });
  });

  it('reads a JSON object and turns scalars into strings', () => {
    expect(parseFields({ contentType: json, body: '{"email":"a@b.co","employees":42,"consent":true}' })).toEqual({
      email: 'a@b.co',
      employees: '42',
      consent: 'true',
    });
  });

  it('rejects a field given twice', () => {
    const error = errorOf(() => parseFields({ contentType: form, body: 'email=a@b.co&email=c@d.co' }));
    expect(error.details).toEqual([{ path: 'email', message: 'is given more than once' }]);
  });

  it('rejects NUL bytes and other control characters', () => {
    const error = errorOf(() => parseFields({ contentType: form, body: 'email=a@b.co&company=Ac%00me' }));
    expect(error.details[0]).toEqual({ path: 'company', message: 'contains control characters' });
  });

  it('keeps newlines and tabs a textarea sends', () => {
    expect(parseFields({ contentType: form, body: 'message=line1%0D%0Aline2%09x' }).message).toBe('line1\r\nline2\tx');
  });

  it.each([
    ['[1,2]', 'the body must be a JSON object of fields'],
    ['null', 'the body must be a JSON object of fields'],
    ['{"email":', 'the body is not valid JSON'],
  ])('rejects the JSON body %s', (body, message) => {
    expect(errorOf(() => parseFields({ contentType: json, body })).message).toBe(message);
  });

  it('rejects nested values', () => {
    const error = errorOf(() => parseFields({ contentType: json, body: '{"email":"a@b.co","company":{"x":1}}' }));
    expect(error.details).toEqual([{ path: 'company', message: 'must be a string, number or boolean' }]);
  });

  it('rejects other media types with 415', () => {
    expect(() => parseFields({ contentType: 'text/plain', body: 'x' })).toThrow(UnsupportedMediaTypeError);
    expect(() => parseFields({ contentType: undefined, body: 'x' })).toThrow(UnsupportedMediaTypeError);
  });

  it('rejects bodies over 64 KiB with 413, counting bytes not characters', () => {
    const body = `message=${'é'.repeat(MAX_BODY_BYTES / 2)}`;
    expect(() => parseFields({ contentType: form, body })).toThrow(PayloadTooLargeError);
  });
});

describe('validateSubmission', () => {
  it('maps field spellings to canonical names and keeps unknown fields as custom fields', () => {
    const submission = validateSubmission({
      'Email': ' Ada@Example.com ',
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

  it('requires an email and says which field is wrong', () => {
    expect(errorOf(() => validateSubmission({ firstName: 'Ada' })).details).toEqual([
      { path: 'email', message: 'is required' },
    ]);
    expect(errorOf(() => validateSubmission({ email: 'not-an-email' })).details).toEqual([
      { path: 'email', message: 'is not a valid email address' },
    ]);
  });

  it('rejects an over-long field with its name', () => {
    const error = errorOf(() => validateSubmission({ email: 'a@b.co', company: 'x'.repeat(10_000) }));
    expect(error.details).toEqual([{ path: 'company', message: 'must be at most 200 characters' }]);
  });

  it('rejects the same field under two spellings', () => {
    const error = errorOf(() => validateSubmission({ email: 'a@b.co', firstName: 'A', first_name: 'B' }));
    expect(error.details[0]?.path).toBe('firstName');
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
    expect(isSpam({ _gotcha: 'http://spam' }, '_gotcha')).toBe(true);
    expect(isSpam({ _gotcha: '  ' }, '_gotcha')).toBe(false);
    expect(isSpam({}, '_gotcha')).toBe(false);
  });

  it('normalizes emails case-insensitively', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
  });
});
