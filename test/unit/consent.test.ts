import { describe, expect, it } from 'vitest';
import { planCapture } from '../../core/capture';
import { confirmOptIn, linkFitsLead, marketingBlock, newConsentRecord, newOptInRequest, unsubscribe } from '../../core/consent';
import { DEFAULT_CONSENT_TEXT } from '../../core/form';
import { leadIdFor, type Lead } from '../../core/lead';
import { InvalidLinkError, openLink, sealLink } from '../../core/link-token';
import { defaultScoringRules as rules } from '../../core/scoring';
import { validateSubmission } from '../../core/submission';

const key = 'unit-test-link-signing-key-0123456789abcdefghijklmnopqrstuvwxyz';
const leadKey = 'unit-test-lead-id-key';
const t0 = new Date('2026-03-01T10:00:00.000Z');
const t1 = new Date('2026-03-02T10:00:00.000Z');
const t2 = new Date('2026-03-03T10:00:00.000Z');
const single = { formId: 'newsletter', consentText: 'Send me the monthly newsletter.', doubleOptIn: false };
const double = { formId: 'webinar', consentText: 'Email me about webinars.', doubleOptIn: true };

function capture(existing: Lead | undefined, fields: Record<string, string>, form: typeof single | { formId: string }, at: Date): Lead {
  const email = fields.email ?? 'ada@example.com';
  return planCapture(
    existing,
    validateSubmission({ email, ...fields }),
    form,
    at,
    rules,
    {},
    {
      leadId: leadIdFor(email, leadKey),
      submissionId: 'sb_1',
    },
  ).lead;
}

describe('link tokens', () => {
  const claims = { leadId: 'ld_aaaaaaaaaaaaaaaaaaaaaa', email: 'ada@example.com' };

  it('open to the lead, campaign and step they were made for, and reveal neither the lead nor the address', () => {
    const token = sealLink(key, 'unsubscribe', { ...claims, campaign: { campaignId: 'cmp_1', step: 2 } });
    const decoded = token
      .split('.')
      .map((part) => Buffer.from(part, 'base64url').toString('latin1'))
      .join(' ');
    expect(decoded).not.toContain('ld_');
    expect(decoded).not.toContain('ada');
    expect(decoded).not.toContain('cmp_1');
    const link = openLink(key, 'unsubscribe', token, t0);
    expect(link).toMatchObject({ leadId: claims.leadId, campaign: { campaignId: 'cmp_1', step: 2 } });
    expect(linkFitsLead(link, { leadId: claims.leadId, email: 'ada@example.com' })).toBe(true);
  });

  it('refuses a forged or altered token', () => {
    const token = sealLink(key, 'unsubscribe', claims);
    const [version, iv, tag, body] = token.split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0]! ^= 1;
    expect(() => openLink(key, 'unsubscribe', [version, iv, tag, flipped.toString('base64url')].join('.'), t0)).toThrow(InvalidLinkError);
    expect(() => openLink(key, 'unsubscribe', sealLink('another-key', 'unsubscribe', claims), t0)).toThrow(InvalidLinkError);
    expect(() => openLink(key, 'unsubscribe', 'not-a-token', t0)).toThrow(InvalidLinkError);
  });

  it('refuses a token made for another purpose', () => {
    const confirm = sealLink(key, 'confirm', { ...claims, requestedAt: t0.toISOString() });
    expect(() => openLink(key, 'unsubscribe', confirm, t0)).toThrow(InvalidLinkError);
    expect(() => openLink(key, 'confirm', sealLink(key, 'unsubscribe', claims), t0)).toThrow(InvalidLinkError);
  });

  it('refuses an expired token', () => {
    const token = sealLink(key, 'confirm', { ...claims, requestedAt: t0.toISOString(), expiresAt: t1 });
    expect(openLink(key, 'confirm', token, t0).requestedAt).toBe(t0.toISOString());
    expect(() => openLink(key, 'confirm', token, t2)).toThrow('expired');
  });

  it('does not fit another lead, nor another address under the same lead id', () => {
    const link = openLink(key, 'unsubscribe', sealLink(key, 'unsubscribe', claims), t0);
    expect(linkFitsLead(link, { leadId: 'ld_bbbbbbbbbbbbbbbbbbbbbb', email: 'ada@example.com' })).toBe(false);
    expect(linkFitsLead(link, { leadId: claims.leadId, email: 'eve@example.com' })).toBe(false);
  });
});

describe('consent at capture', () => {
  it('records consent with when, which form and what text on a single-opt-in form', () => {
    const lead = capture(undefined, { consent: 'true' }, single, t0);
    expect(lead.consent).toBe(true);
    expect(lead.consentRecords).toEqual([
      { at: t0.toISOString(), formId: 'newsletter', text: single.consentText, method: 'form', submissionId: 'sb_1' },
    ]);
    expect(marketingBlock(lead)).toBeUndefined();
  });

  it('records nothing without the consent box, and uses the default text for a form that names none', () => {
    const none = capture(undefined, {}, single, t0);
    expect(none.consent).toBe(false);
    expect(none.consentRecords).toEqual([]);
    expect(marketingBlock(none)).toBe('no_consent');
    expect(capture(undefined, { consent: 'true' }, { formId: 'plain' }, t0).consentRecords[0]?.text).toBe(DEFAULT_CONSENT_TEXT);
  });

  it('only asks for consent on a double-opt-in form, until the link is followed', () => {
    const asked = capture(undefined, { consent: 'true' }, double, t0);
    expect(asked.consent).toBe(false);
    expect(asked.pendingOptIn).toEqual({ formId: 'webinar', text: double.consentText, requestedAt: t0.toISOString() });
    expect(newOptInRequest(undefined, asked)).toEqual(asked.pendingOptIn);
    const link = { leadId: asked.leadId, emailHash: '', requestedAt: t0.toISOString() };
    const confirmed = confirmOptIn(asked, link, t1);
    expect(confirmed.outcome).toBe('changed');
    if (confirmed.outcome !== 'changed') return;
    expect(confirmed.lead.consent).toBe(true);
    expect(confirmed.lead.pendingOptIn).toBeUndefined();
    expect(confirmed.lead.consentRecords).toEqual([
      { at: t1.toISOString(), formId: 'webinar', text: double.consentText, method: 'double_opt_in' },
    ]);
    expect(newConsentRecord(asked, confirmed.lead)?.method).toBe('double_opt_in');
    // A second confirmation changes nothing; a link for a request that was never made is refused.
    expect(confirmOptIn(confirmed.lead, link, t2).outcome).toBe('unchanged');
    expect(confirmOptIn(asked, { ...link, requestedAt: t2.toISOString() }, t2).outcome).toBe('refused');
  });

  it('never withdraws consent, under either update policy', () => {
    const consenting = capture(undefined, { consent: 'true' }, single, t0);
    expect(capture(consenting, { consent: 'false' }, single, t1).consent).toBe(true);
    const overwritten = planCapture(
      consenting,
      validateSubmission({ email: 'ada@example.com', consent: 'false' }),
      single,
      t1,
      rules,
      {},
      {
        policy: 'overwrite',
      },
    ).lead;
    expect(overwritten.consent).toBe(true);
    expect(overwritten.consentRecords).toHaveLength(1);
  });

  it('does not re-subscribe an unsubscribed person without new consent; new consent does', () => {
    const consenting = capture(undefined, { consent: 'true' }, single, t0);
    const link = { leadId: consenting.leadId, emailHash: '' };
    const result = unsubscribe(consenting, link, 'one-click', t1);
    if (result.outcome !== 'changed') throw new Error('expected an unsubscribe');
    const unsubscribed = result.lead;
    expect(unsubscribed).toMatchObject({ consent: false, unsubscribedAt: t1.toISOString() });
    expect(result.entries[0]).toMatchObject({ type: 'unsubscribed', data: { via: 'one-click' } });
    expect(unsubscribe(unsubscribed, link, 'one-click', t2).outcome).toBe('unchanged');

    const without = capture(unsubscribed, { firstName: 'Ada' }, single, t2);
    expect(marketingBlock(without)).toBe('unsubscribed');
    // A double-opt-in form only asks: still unsubscribed until the link.
    expect(marketingBlock(capture(unsubscribed, { consent: 'true' }, double, t2))).toBe('unsubscribed');
    const again = capture(unsubscribed, { consent: 'true' }, single, t2);
    expect(marketingBlock(again)).toBeUndefined();
    expect(again.unsubscribedAt).toBeUndefined();
    expect(again.consentRecords).toHaveLength(2);
  });

  it('attributes an unsubscribe to the campaign step the link was sent for', () => {
    const consenting = capture(undefined, { consent: 'true' }, single, t0);
    const result = unsubscribe(
      consenting,
      { leadId: consenting.leadId, emailHash: '', campaign: { campaignId: 'cmp_1', step: 1 } },
      'page',
      t1,
    );
    expect(result.outcome === 'changed' && result.entries[0]?.data).toEqual({ campaignId: 'cmp_1', step: 1, via: 'page' });
  });
});
