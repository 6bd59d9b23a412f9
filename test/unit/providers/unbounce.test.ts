import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, ValidationError } from '../../../core/errors';
import type { Delivery } from '../../../core/providers/types';
import { unbounceProvider } from '../../../core/providers/unbounce';

// The documented `data.json`, byte for byte; Unbounce posts it as one urlencoded parameter.
const dataJson = readFileSync(new URL('../../fixtures/providers/unbounce/form-submit.data-json.json', import.meta.url), 'utf8');
const secret = 'unbounce-form-token-0123456789';
const now = new Date('2023-06-06T22:58:00Z');

/** The urlencoded body around a `data.json`: the documented top-level parameters, values from the example. */
function delivery(data: string = dataJson, overrides: Partial<Delivery> = {}): Delivery {
  const fields: Array<[string, string]> = [
    ['page_id', 'a2838d98-4cf4-11df-a3fd-00163e372d58'],
    ['page_url', 'http://my-landing-page.ca/'],
    ['page_name', 'My Landing Page'],
    ['variant', 'a'],
    ['data.json', data],
    ['data.xml', '<?xml version="1.0" encoding="UTF-8"?><form_data><email>test@test.com</email></form_data>'],
  ];
  return {
    mediaType: 'application/x-www-form-urlencoded',
    rawBody: new URLSearchParams(fields).toString(),
    fields,
    files: [],
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    query: { token: secret },
    method: 'POST',
    url: `https://api.example.com/v1/forms/x/submissions?token=${secret}`,
    ...overrides,
  };
}

describe('unbounceProvider.read', () => {
  it('reads the documented data.json: the email, and the page URL as the landing page', () => {
    const { fields, notes } = unbounceProvider.read(delivery(), {});
    expect(fields).toEqual([
      ['email', 'test@test.com'],
      ['landingPage', 'http://my-landing-page.ca/'],
    ]);
    expect(notes).toBeUndefined();
  });

  it("keeps Unbounce's own keys (IP, page uuid, variant, submission time, page name) out of the lead", () => {
    const names = unbounceProvider.read(delivery(), {}).fields.map(([name]) => name);
    for (const key of ['ip_address', 'page_uuid', 'variant', 'time_submitted', 'date_submitted', 'page_url', 'page_name']) {
      expect(names).not.toContain(key);
    }
    expect(JSON.stringify(unbounceProvider.read(delivery(), {}))).not.toContain('1.1.1.1');
  });

  it('takes the page URL from data.json when the top-level parameter is absent', () => {
    const body = delivery();
    const { fields } = unbounceProvider.read({ ...body, fields: body.fields.filter(([name]) => name !== 'page_url') }, {});
    expect(fields).toContainEqual(['landingPage', 'http://my-landing-page.ca/']);
  });

  it('splits a full name, unwraps single values, joins multi-selects and keeps bare strings (older pages)', () => {
    const data = JSON.stringify({
      full_name: ['Ada King Lovelace'],
      email_address: ['ada@example.com'],
      company_name: ['Analytical Engines'],
      phone_number: ['+44 20 7946 0000'],
      interests: ['Scoring', 'Nurture'],
      utm_source: ['newsletter'],
      newsletter: [],
      ip_address: '1.1.1.1',
      time_submitted: ['10:57 PM UTC'],
      date_submitted: ['2023-06-06'],
    });
    expect(unbounceProvider.read(delivery(data), {}).fields).toEqual([
      ['firstName', 'Ada King'],
      ['lastName', 'Lovelace'],
      ['email', 'ada@example.com'],
      ['company_name', 'Analytical Engines'],
      ['phone_number', '+44 20 7946 0000'],
      ['interests', 'Scoring, Nurture'],
      ['utm_source', 'newsletter'],
      ['landingPage', 'http://my-landing-page.ca/'],
    ]);
  });

  it("chooses the email by the field's meaning, not the first address in the body", () => {
    const data = JSON.stringify({ friend_email: ['friend@example.org'], email: ['ada@example.com'], name: ['Ada Lovelace'] });
    const { fields } = unbounceProvider.read(delivery(data), {});
    expect(fields.filter(([name]) => name === 'email')).toEqual([['email', 'ada@example.com']]);
    expect(fields).toContainEqual(['friend_email', 'friend@example.org']);
  });

  it('lets the field map override the mapping, system keys included', () => {
    const data = JSON.stringify({ email: ['ada@example.com'], your_work_address: ['ada@work.example.com'], variant: ['b'] });
    const { fields } = unbounceProvider.read(delivery(data), { your_work_address: 'email', email: 'personalEmail', variant: 'variant' });
    expect(fields).toEqual([
      ['personalEmail', 'ada@example.com'],
      ['email', 'ada@work.example.com'],
      ['variant', 'b'],
      ['landingPage', 'http://my-landing-page.ca/'],
    ]);
  });

  it('emits no email field when the form has none (the platform refuses it)', () => {
    const { fields } = unbounceProvider.read(delivery(JSON.stringify({ company: ['Acme'] })), {});
    expect(fields.map(([name]) => name)).not.toContain('email');
  });

  it('notes a value that is not text, without its content', () => {
    const { fields, notes } = unbounceProvider.read(delivery(JSON.stringify({ email: ['ada@example.com'], widget: [{ x: 1 }] })), {});
    expect(fields.map(([name]) => name)).not.toContain('widget');
    expect(notes).toEqual(['The Unbounce field "widget" does not hold text and was not kept.']);
  });

  describe('eventId (Unbounce documents no submission id)', () => {
    const eventId = (data: string, fields?: Array<[string, string]>) =>
      unbounceProvider.read(fields ? { ...delivery(data), fields } : delivery(data), {}).eventId;

    it('is derived from the page, the variant, the submission time and the email: the same for a redelivery', () => {
      const id = eventId(dataJson);
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(eventId(dataJson)).toBe(id);
    });

    it('differs for another person, another minute or another variant', () => {
      const id = eventId(dataJson);
      const data = JSON.parse(dataJson) as Record<string, string[]>;
      expect(eventId(JSON.stringify({ ...data, email: ['other@test.com'] }))).not.toBe(id);
      expect(eventId(JSON.stringify({ ...data, time_submitted: ['10:58 PM UTC'] }))).not.toBe(id);
      const variantB = delivery().fields.map(([name, value]): [string, string] => [name, name === 'variant' ? 'b' : value]);
      expect(eventId(dataJson, variantB)).not.toBe(id);
    });

    it('is absent without a submission time (nothing would tell two submissions apart)', () => {
      expect(eventId(JSON.stringify({ email: ['test@test.com'] }))).toBeUndefined();
    });
  });

  it.each([
    ['no data.json', [['email', 'ada@example.com']], /data\.json/, 'is missing'],
    ['a data.json that is not JSON', [['data.json', 'email=ada']], /data\.json/, 'is not JSON'],
    ['a data.json that is an array', [['data.json', '["ada@example.com"]']], /data\.json/, 'is not a JSON object'],
  ] as Array<[string, Array<[string, string]>, RegExp, string]>)(
    'refuses a body with %s as a ValidationError',
    (_, fields, message, detail) => {
      const read = () => unbounceProvider.read({ ...delivery(), fields }, {});
      expect(read).toThrow(ValidationError);
      expect(read).toThrow(message);
      try {
        read();
      } catch (error) {
        expect((error as ValidationError).details).toEqual([{ path: 'data.json', message: detail }]);
      }
    },
  );

  it('refuses a JSON body of another provider (a Typeform delivery has no data.json)', () => {
    const json = { event_id: '01H', form_response: { answers: [] } };
    const read = () =>
      unbounceProvider.read({ ...delivery(), mediaType: 'application/json', rawBody: JSON.stringify(json), json, fields: [] }, {});
    expect(read).toThrow(ValidationError);
    expect(read).toThrow('an Unbounce delivery has a data.json field holding the form as a JSON object');
  });
});

describe('unbounceProvider.verify (Unbounce cannot sign: the form token)', () => {
  it('accepts the token in the webhook URL or in an X-Leadflow-Token header', () => {
    expect(() => {
      unbounceProvider.verify(delivery(), secret, now);
    }).not.toThrow();
    expect(() => {
      unbounceProvider.verify(delivery(dataJson, { query: {}, headers: { 'x-leadflow-token': secret } }), secret, now);
    }).not.toThrow();
  });

  it.each([
    ['a missing token', {}, {}, /requires its token/],
    ['a wrong token', { token: 'unbounce-form-token-guessed00' }, {}, /does not match/],
    ['a wrong header token', {}, { 'x-leadflow-token': 'nope' }, /does not match/],
  ])('refuses %s', (_, query, headers, message) => {
    const verify = () => {
      unbounceProvider.verify(delivery(dataJson, { query, headers }), secret, now);
    };
    expect(verify).toThrow(InvalidSignatureError);
    expect(verify).toThrow(message);
  });

  it("refuses another form's secret", () => {
    expect(() => {
      unbounceProvider.verify(delivery(), 'another-form-token-0123456789', now);
    }).toThrow(InvalidSignatureError);
  });

  it('does not cover the body: a token authenticates the sender, not the content (Unbounce signs nothing)', () => {
    const tampered = delivery(dataJson.replace('test@test.com', 'eve@test.com'));
    expect(() => {
      unbounceProvider.verify(tampered, secret, now);
    }).not.toThrow();
  });

  it('posts urlencoded bodies', () => {
    expect(unbounceProvider.mediaTypes).toEqual(['application/x-www-form-urlencoded']);
  });
});
