import { describe, expect, it } from 'vitest';
import { formSchema } from '../../core/form';
import { futureEventProblem } from '../../core/scoring';

function problems(input: Record<string, unknown>): Array<[string, string]> {
  const result = formSchema.safeParse({ formId: 'pricing', name: 'Pricing', ...input });
  return result.success ? [] : result.error.issues.map((issue) => [issue.path.join('.'), issue.message]);
}

describe('form settings', () => {
  it.each(['javascript:alert(document.cookie)', 'data:text/html,<script>x</script>', 'ftp://files.example.com/'])(
    'refuse a redirect URL that is not http or https: %s',
    (redirectUrl) => {
      expect(problems({ redirectUrl })).toEqual([['redirectUrl', 'must be an http or https URL']]);
    },
  );

  it('take http and https redirects and origins', () => {
    expect(problems({ redirectUrl: 'https://www.example.com/thanks', allowedOrigins: ['http://localhost:3001'] })).toEqual([]);
  });

  it.each(['email', 'Email', 'company', 'first_name'])(
    'refuse a honeypot named like a lead field (%s would drop every submission)',
    (honeypotField) => {
      expect(problems({ honeypotField })).toEqual([['honeypotField', 'must not be the name of a lead field (such as email or company)']]);
    },
  );
});

describe('engagement event dates', () => {
  const now = new Date('2026-12-01T12:00:00.000Z');

  it('refuse an event dated in the future, which would never decay', () => {
    expect(futureEventProblem({ at: '9999-12-31T00:00:00.000Z' }, now)).toBe('must not be in the future');
    expect(futureEventProblem({ at: '2026-12-01T12:10:00.000Z' }, now)).toBe('must not be in the future');
  });

  it('allow a few minutes of clock skew and any past date', () => {
    expect(futureEventProblem({ at: '2026-12-01T12:04:00.000Z' }, now)).toBeUndefined();
    expect(futureEventProblem({ at: '2020-01-01T00:00:00.000Z' }, now)).toBeUndefined();
  });
});
