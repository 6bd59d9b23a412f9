import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, ValidationError } from '../../../core/errors';
import { hubspotProvider } from '../../../core/providers/hubspot';
import type { Delivery } from '../../../core/providers/types';
import { jsonDelivery, providerFixture } from './deliveries';

const formsBody = providerFixture('hubspot', 'forms-submit-v3.json');
const webhookBody = providerFixture('hubspot', 'webhook-contact-creation.json');

const url = 'https://api.example.com/v1/forms/x/submissions';
const secret = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const now = new Date('2026-03-01T10:00:00Z');

function delivery(rawBody: string, headers: Record<string, string> = {}, overrides: Partial<Delivery> = {}): Delivery {
  return jsonDelivery(rawBody, headers, { url, ...overrides });
}

/** A Forms API body with the given fields and context, as a site would post it. */
function formsDelivery(
  fields: Array<Record<string, unknown>>,
  context: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Delivery {
  return delivery(JSON.stringify({ fields, context, ...extra }));
}

/** HubSpot's v3 scheme, computed independently: base64 HMAC-SHA256 of method + URI + body + timestamp. */
function signV3(body: string, timestamp: number, key = secret, signedUrl = url): Record<string, string> {
  const signature = createHmac('sha256', key).update(`POST${signedUrl}${body}${timestamp}`).digest('base64');
  return { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(timestamp) };
}

describe('hubspotProvider.read', () => {
  it("maps the documented Forms API v3 example: HubSpot's property names, the page and the consent", () => {
    const submission = hubspotProvider.read(delivery(formsBody), {});
    expect(submission.fields).toEqual([
      ['email', 'example@example.com'],
      ['firstName', 'Jeff'],
      ['landingPage', 'www.example.com/page'],
      ['pageName', 'Example page'],
      ['consent', 'true'],
      ['subscription_999', 'true'],
    ]);
    expect(submission.notes).toBeUndefined();
    expect(submission.engagement).toBeUndefined();
  });

  it('derives the event id from hutk and submittedAt, the only values a resent submission repeats', () => {
    expect(hubspotProvider.read(delivery(formsBody), {}).eventId).toBe(':hutk:1517927174000');
  });

  it('has no event id when hutk or submittedAt is missing', () => {
    const body = JSON.parse(formsBody);
    delete body.submittedAt;
    expect(hubspotProvider.read(delivery(JSON.stringify(body)), {}).eventId).toBeUndefined();
    expect(
      hubspotProvider.read(formsDelivery([{ name: 'email', value: 'a@example.com' }], {}, { submittedAt: '1517927174000' }), {}).eventId,
    ).toBeUndefined();
  });

  it("names HubSpot's default contact properties as lead fields and keeps others under their internal name", () => {
    const submission = hubspotProvider.read(
      formsDelivery([
        { objectTypeId: '0-1', name: 'email', value: 'ada@example.com' },
        { objectTypeId: '0-1', name: 'lastname', value: 'Lovelace' },
        { objectTypeId: '0-1', name: 'company', value: 'Analytical Engines' },
        { objectTypeId: '0-1', name: 'jobtitle', value: 'VP Engineering' },
        { objectTypeId: '0-1', name: 'phone', value: '+44 20 7946 0000' },
        { objectTypeId: '0-1', name: 'message', value: 'Pipeline reporting' },
        { name: 'numemployees', value: '201-1000' },
        { objectTypeId: '0-1', name: 'favorite_engine', value: 'Difference' },
      ]),
      {},
    );
    expect(submission.fields).toEqual([
      ['email', 'ada@example.com'],
      ['lastName', 'Lovelace'],
      ['company', 'Analytical Engines'],
      ['jobTitle', 'VP Engineering'],
      ['phone', '+44 20 7946 0000'],
      ['message', 'Pipeline reporting'],
      ['companySize', '201-1000'],
      ['favorite_engine', 'Difference'],
    ]);
  });

  it("keeps a company object's properties apart from the contact's: its name is the company, its phone is not the lead's", () => {
    const submission = hubspotProvider.read(
      formsDelivery([
        { objectTypeId: '0-1', name: 'phone', value: '+1 404 555 0100' },
        { objectTypeId: '0-2', name: 'name', value: 'Analytical Engines' },
        { objectTypeId: '0-2', name: 'phone', value: '+1 404 555 0199' },
      ]),
      {},
    );
    expect(submission.fields).toEqual([
      ['phone', '+1 404 555 0100'],
      ['company', 'Analytical Engines'],
      ['company_phone', '+1 404 555 0199'],
    ]);
  });

  it("reads UTM tags from pageUri's query string unless a field already gave them", () => {
    const submission = hubspotProvider.read(
      formsDelivery(
        [
          { name: 'email', value: 'ada@example.com' },
          { name: 'utm_source', value: 'newsletter' },
        ],
        {
          pageUri: 'www.example.com/pricing?utm_source=linkedin&utm_medium=social&utm_campaign=spring%20launch#form',
        },
      ),
      {},
    );
    expect(submission.fields).toEqual([
      ['email', 'ada@example.com'],
      ['utm_source', 'newsletter'],
      ['landingPage', 'www.example.com/pricing?utm_source=linkedin&utm_medium=social&utm_campaign=spring%20launch#form'],
      ['utm_medium', 'social'],
      ['utm_campaign', 'spring launch'],
    ]);
  });

  it('lets the field map override any mapping, by property name or by objectTypeId/name', () => {
    const submission = hubspotProvider.read(
      formsDelivery([
        { objectTypeId: '0-1', name: 'email', value: 'ada@example.com' },
        { objectTypeId: '0-1', name: 'firstname', value: 'Ada' },
        { objectTypeId: '0-1', name: 'work_role', value: 'CTO' },
        { objectTypeId: '0-2', name: 'phone', value: '+1 404 555 0199' },
      ]),
      { firstname: 'nickname', work_role: 'jobTitle', '0-2/phone': 'switchboard', constructor: 'x' },
    );
    expect(submission.fields).toEqual([
      ['email', 'ada@example.com'],
      ['nickname', 'Ada'],
      ['jobTitle', 'CTO'],
      ['switchboard', '+1 404 555 0199'],
    ]);
  });

  it('emits no email when the body has none (the platform refuses it, not the adapter)', () => {
    const submission = hubspotProvider.read(formsDelivery([{ name: 'firstname', value: 'Jeff' }]), {});
    expect(submission.fields).toEqual([['firstName', 'Jeff']]);
  });

  it('notes a value that is not text, without its content, and treats legitimate interest as no consent', () => {
    const submission = hubspotProvider.read(
      formsDelivery(
        [
          { name: 'email', value: 'ada@example.com' },
          { name: 'attachment', value: { url: 'x' } },
        ],
        {},
        {
          legalConsentOptions: { legitimateInterest: { value: true, subscriptionTypeId: 999, legalBasis: 'CUSTOMER', text: 'Legal text' } },
        },
      ),
      {},
    );
    expect(submission.fields).toEqual([['email', 'ada@example.com']]);
    expect(submission.notes).toEqual([
      'The value of the HubSpot property "attachment" is not text and was not kept.',
      'A legitimate-interest legal basis was received; it is not consent, so consent was not set from it.',
    ]);
  });

  it('refuses the documented Webhooks API event batch: it carries no form fields', () => {
    const read = () => hubspotProvider.read(delivery(webhookBody), {});
    expect(read).toThrow(ValidationError);
    expect(read).toThrow(/Forms API v3 body with fields\[\]; a Webhooks API event batch carries no form fields/);
  });

  it('refuses a body of another shape, naming fields[]', () => {
    const body = JSON.stringify({ form_response: { answers: [] } });
    expect(() => hubspotProvider.read(delivery(body), {})).toThrow(ValidationError);
    try {
      hubspotProvider.read(delivery(body), {});
    } catch (error) {
      expect((error as ValidationError).message).toBe('a HubSpot delivery has fields[] (the Forms API v3 body)');
      expect((error as ValidationError).details).toEqual([{ path: 'fields', message: 'is not an array' }]);
    }
    expect(() => hubspotProvider.read(formsDelivery([{ value: 'no name' }]), {})).toThrow(/fields\[\] of \{name, value\}/);
  });
});

describe('hubspotProvider.verify', () => {
  const t = now.getTime();

  it('accepts a v3 signature over method, URL, raw body and millisecond timestamp', () => {
    expect(() => {
      hubspotProvider.verify(delivery(formsBody, signV3(formsBody, t - 60_000)), secret, now);
    }).not.toThrow();
  });

  it('signs the URL with the escapes HubSpot decodes (%3A, %2F, %40...) decoded', () => {
    const encoded = `${url}?page=https%3A%2F%2Fwww.example.com%2Fpricing&by=ada%40example.com&q=a%20b`;
    const decoded = `${url}?page=https://www.example.com/pricing&by=ada@example.com&q=a%20b`;
    expect(() => {
      hubspotProvider.verify(delivery(formsBody, signV3(formsBody, t, secret, decoded), { url: encoded }), secret, now);
    }).not.toThrow();
  });

  it.each([
    ['a tampered body', () => delivery(formsBody.replace('Jeff', 'Eve'), signV3(formsBody, t)), /does not match/],
    ['another secret', () => delivery(formsBody, signV3(formsBody, t, 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz')), /does not match/],
    [
      'another URL',
      () => delivery(formsBody, signV3(formsBody, t, secret, 'https://api.example.com/v1/forms/y/submissions')),
      /does not match/,
    ],
    ['a stale timestamp (over 5 minutes)', () => delivery(formsBody, signV3(formsBody, t - 300_001)), /more than 300 seconds/],
    ['a timestamp from the future', () => delivery(formsBody, signV3(formsBody, t + 300_001)), /more than 300 seconds/],
    ['a timestamp in seconds', () => delivery(formsBody, signV3(formsBody, t / 1000)), /more than 300 seconds/],
    [
      'no timestamp header',
      () => delivery(formsBody, { 'x-hubspot-signature-v3': signV3(formsBody, t)['x-hubspot-signature-v3']! }),
      /X-HubSpot-Request-Timestamp/,
    ],
    [
      'an empty signature header',
      () => delivery(formsBody, { ...signV3(formsBody, t), 'x-hubspot-signature-v3': '' }),
      /requires a X-HubSpot-Signature-v3/,
    ],
  ])('refuses %s', (_, make, message) => {
    expect(() => {
      hubspotProvider.verify(make(), secret, now);
    }).toThrow(InvalidSignatureError);
    expect(() => {
      hubspotProvider.verify(make(), secret, now);
    }).toThrow(message);
  });

  it("without a v3 signature (a site posting the Forms body cannot sign), requires the form's token", () => {
    expect(() => {
      hubspotProvider.verify(delivery(formsBody, {}, { query: { token: secret } }), secret, now);
    }).not.toThrow();
    expect(() => {
      hubspotProvider.verify(delivery(formsBody, { 'x-leadflow-token': secret }), secret, now);
    }).not.toThrow();
    expect(() => {
      hubspotProvider.verify(delivery(formsBody), secret, now);
    }).toThrow(/requires its token/);
    expect(() => {
      hubspotProvider.verify(delivery(formsBody, {}, { query: { token: 'wrong' } }), secret, now);
    }).toThrow(InvalidSignatureError);
  });

  it('does not take a v1 X-HubSpot-Signature (no timestamp, no URL) for the token: the documented v1 vector is refused', () => {
    // The documented v1 test vector: hex SHA-256 of client secret + the exact body bytes.
    const v1 = '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de';
    expect(
      createHash('sha256')
        .update(secret + webhookBody)
        .digest('hex'),
    ).toBe(v1);
    expect(() => {
      hubspotProvider.verify(delivery(webhookBody, { 'x-hubspot-signature': v1, 'x-hubspot-signature-version': 'v1' }), secret, now);
    }).toThrow(InvalidSignatureError);
  });
});
