import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors';
import { isSpam, normalizeEmail, parseFields, validateSubmission } from '../../core/submission';

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
  it('turns scalars into strings', () => {
    expect(
      parseFields([
        ['email', 'a@b.co'],
        ['employees', 42],
        ['consent', true],
      ]),
    ).toEqual({ email: 'a@b.co', employees: '42', consent: 'true' });
  });

  it('rejects a field given twice', () => {
    const error = errorOf(() =>
      parseFields([
        ['email', 'a@b.co'],
        ['email', 'c@d.co'],
      ]),
    );
    expect(error.details).toEqual([{ path: 'email', message: 'is given more than once' }]);
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
    expect(parseFields([['message', 'line1\r\nline2\tx']]).message).toBe('line1\r\nline2\tx');
    expect(parseFields([['firstName', 'Zoe\u0301']]).firstName).toBe('Zo\u00e9');
  });

  it('rejects nested values and ignores nulls', () => {
    const error = errorOf(() =>
      parseFields([
        ['email', 'a@b.co'],
        ['company', { x: 1 }],
        ['tags', ['a']],
        ['phone', null],
      ]),
    );
    expect(error.details).toEqual([
      { path: 'company', message: 'must be a string, number or boolean' },
      { path: 'tags', message: 'must be a string, number or boolean' },
    ]);
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

  it('requires an email and says which field is wrong', () => {
    expect(errorOf(() => validateSubmission({ firstName: 'Ada' })).details).toEqual([{ path: 'email', message: 'is required' }]);
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
