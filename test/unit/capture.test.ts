import { describe, expect, it } from 'vitest';
import { planCapture, touchEntries } from '../../core/capture';
import { leadIdFor } from '../../core/lead';
import { defaultScoringRules as rules } from '../../core/scoring';
import { validateSubmission } from '../../core/submission';

/** A well-qualified person's form fields. */
function qualifiedProfile(email: string): Record<string, string> {
  return {
    email,
    firstName: 'Vera',
    lastName: 'Victim',
    company: 'Victim Systems',
    jobTitle: 'VP Engineering',
    phone: '+44 20 7946 0000',
    companySize: '201-1000',
    industry: 'Software',
    country: 'United States',
    budget: '$25k-$100k',
    timeline: 'This quarter',
    consent: 'true',
    utm_source: 'linkedin',
  };
}

const form = { formId: 'default' };
const key = 'unit-test-lead-id-key';
const idOf = (email: string) => ({ leadId: leadIdFor(email, key) });
const first = new Date('2026-03-01T10:00:00.000Z');
const later = new Date('2026-03-05T12:00:00.000Z');

describe('planCapture', () => {
  it('creates a new lead in stage new with first-touch attribution', () => {
    const submission = validateSubmission({
      email: 'Ada@Example.com',
      firstName: 'Ada',
      utm_source: 'LinkedIn',
      utm_campaign: 'spring',
      referrer: 'https://www.linkedin.com/feed',
    });
    const { lead, duplicate, touch } = planCapture(undefined, submission, form, first, rules, {}, idOf('ada@example.com'));
    expect(duplicate).toBe(false);
    expect(lead).toMatchObject({
      leadId: leadIdFor('ada@example.com', key),
      email: 'ada@example.com',
      stage: 'new',
      source: 'linkedin',
      touches: 1,
      version: 1,
      profile: { firstName: 'Ada' },
    });
    expect(lead.attribution.firstTouch).toEqual(touch);
    expect(lead.score).toMatchObject({ rulesVersion: rules.version, grade: expect.stringMatching(/^[A-D]$/) });
    expect(touch).toEqual({
      at: first.toISOString(),
      formId: 'default',
      source: 'linkedin',
      campaign: 'spring',
      referrer: 'https://www.linkedin.com/feed',
    });
  });

  it('falls back to the referring host, then direct', () => {
    const viaReferrer = planCapture(
      undefined,
      validateSubmission({ email: 'a@b.co', referrer: 'https://www.google.com/' }),
      form,
      first,
      rules,
      {},
      idOf('a@b.co'),
    );
    expect(viaReferrer.lead.source).toBe('google.com');
    expect(planCapture(undefined, validateSubmission({ email: 'a@b.co' }), form, first, rules, {}, idOf('a@b.co')).lead.source).toBe(
      'direct',
    );
  });

  it('updates a known lead under overwrite: newer values win, first touch stays, last touch moves', () => {
    const created = planCapture(
      undefined,
      validateSubmission({ email: 'a@b.co', company: 'Old', jobTitle: 'CTO', utm_source: 'ads' }),
      form,
      first,
      rules,
      {},
      idOf('a@b.co'),
    ).lead;
    const again = planCapture(
      created,
      validateSubmission({ email: 'A@B.co', company: 'New', utm_source: 'newsletter' }),
      form,
      later,
      rules,
      {},
      { policy: 'overwrite' },
    );
    expect(again.duplicate).toBe(true);
    expect(again.lead.leadId).toBe(created.leadId);
    expect(again.lead.profile).toEqual({ company: 'New', jobTitle: 'CTO' });
    expect(again.lead.attribution.firstTouch.source).toBe('ads');
    expect(again.lead.attribution.lastTouch.source).toBe('newsletter');
    expect(again.lead.source).toBe('ads');
    expect(again.lead.engagement).toEqual([{ type: 'form_submit', at: later.toISOString(), properties: { formId: 'default' } }]);
    expect(again.lead.score!.engagement).toBeGreaterThan(created.score!.engagement);
    expect(again.lead).toMatchObject({ touches: 2, version: 2, createdAt: first.toISOString(), updatedAt: later.toISOString() });
  });

  it('keys lead ids with a secret: the same email gives the same id under one key, another under another key', () => {
    expect(leadIdFor('ada@example.com', key)).toMatch(/^ld_[A-Za-z0-9_-]{22}$/);
    expect(leadIdFor('ada@example.com', key)).toBe(leadIdFor('ada@example.com', key));
    expect(leadIdFor('ada@example.com', key)).not.toBe(leadIdFor('bob@example.com', key));
    expect(leadIdFor('ada@example.com', key)).not.toBe(leadIdFor('ada@example.com', 'another-key'));
    expect(() => leadIdFor('ada@example.com', '')).toThrow();
    expect(() => planCapture(undefined, validateSubmission({ email: 'a@b.co' }), form, first, rules)).toThrow(/keyed lead id/);
  });
});

describe('planCapture under fill-blanks (a submission nobody vouches for)', () => {
  const victim = planCapture(
    undefined,
    validateSubmission(qualifiedProfile('victim@example.com')),
    form,
    first,
    rules,
    {},
    idOf('victim@example.com'),
  ).lead;
  const attack = validateSubmission({
    email: 'VICTIM@example.com',
    firstName: 'Mallory',
    company: 'Evil Corp',
    jobTitle: 'Intern',
    phone: '+1 555 0100',
    companySize: '1-10',
    budget: 'No budget',
    timeline: 'Just researching',
    utm_source: 'attacker',
    industry: 'Gambling',
    consent: 'false',
    plan: 'free',
  });

  it("cannot replace the victim's profile, consent, last touch or score: the attack of issue 10", () => {
    const { lead, duplicate } = planCapture(victim, attack, form, later, rules);
    expect(duplicate).toBe(true);
    expect(lead.profile).toEqual(victim.profile);
    expect(lead.consent).toBe(true);
    expect(lead.attribution).toEqual(victim.attribution);
    expect(lead.score!.total).toBeGreaterThanOrEqual(victim.score!.total);
    expect(lead.touches).toBe(2);
    // Everything it sent is kept for the history entry.
    expect(lead.lastSubmission).toMatchObject({
      applied: 'fill-blanks',
      touch: { source: 'attacker', at: later.toISOString() },
      fields: { email: 'victim@example.com', jobTitle: 'Intern', company: 'Evil Corp', customFields: { plan: 'free' } },
    });
    const [entry] = touchEntries(victim, lead);
    expect(entry).toMatchObject({
      type: 'resubmitted',
      data: { source: 'attacker', applied: 'fill-blanks', submitted: { jobTitle: 'Intern', phone: '+1 555 0100' } },
    });
  });

  it('fills blank profile and custom fields, and grants consent that was not given', () => {
    const sparse = planCapture(
      undefined,
      validateSubmission({ email: 'a@b.co', company: 'Acme' }),
      form,
      first,
      rules,
      {},
      idOf('a@b.co'),
    ).lead;
    const { lead } = planCapture(
      sparse,
      validateSubmission({ email: 'a@b.co', company: 'Other', jobTitle: 'VP Engineering', consent: 'yes', plan: 'pro' }),
      form,
      later,
      rules,
    );
    expect(lead.profile).toEqual({ company: 'Acme', jobTitle: 'VP Engineering' });
    expect(lead.customFields).toEqual({ plan: 'pro' });
    expect(lead.consent).toBe(true);
    expect(lead.attribution.lastTouch).toEqual(sparse.attribution.lastTouch);
  });

  it('keeps only the touch when the filled fields would lower the score', () => {
    const partial = planCapture(
      undefined,
      validateSubmission({ email: 'a@b.co', jobTitle: 'VP Engineering', companySize: '201-1000' }),
      form,
      first,
      rules,
      {},
      idOf('a@b.co'),
    ).lead;
    const { lead } = planCapture(
      partial,
      validateSubmission({ email: 'a@b.co', message: 'internship wanted, my cv is attached' }),
      form,
      first,
      rules,
    );
    expect(lead.profile).toEqual(partial.profile);
    expect(lead.lastSubmission?.fields).toMatchObject({ message: 'internship wanted, my cv is attached' });
    expect(lead.touches).toBe(2);
    expect(lead.score!.total).toBeGreaterThanOrEqual(partial.score!.total);
  });

  it('applies everything under overwrite, as a signed or keyed submission does', () => {
    const { lead } = planCapture(victim, attack, form, later, rules, {}, { policy: 'overwrite' });
    expect(lead.profile.jobTitle).toBe('Intern');
    expect(lead.attribution.lastTouch.source).toBe('attacker');
    expect(lead.lastSubmission?.applied).toBe('overwrite');
  });
});

describe('touchEntries', () => {
  const created = planCapture(
    undefined,
    validateSubmission({ email: 'a@b.co', utm_source: 'ads' }),
    form,
    first,
    rules,
    {},
    idOf('a@b.co'),
  ).lead;
  const again = planCapture(created, validateSubmission({ email: 'a@b.co', utm_source: 'mail' }), form, later, rules).lead;

  it('records a new lead as captured at its creation', () => {
    expect(touchEntries(undefined, created)).toEqual([
      expect.objectContaining({
        type: 'captured',
        at: first.toISOString(),
        entryId: 'touch-000001',
        actor: 'form:default',
        data: expect.objectContaining({ source: 'ads' }),
      }),
    ]);
  });

  it('records a resubmission with its own touch, under an id fixed by the touch number', () => {
    const [entry] = touchEntries(created, again);
    expect(entry).toMatchObject({ type: 'resubmitted', at: later.toISOString(), entryId: 'touch-000002', data: { source: 'mail' } });
    expect(touchEntries(created, again)).toEqual([entry]);
  });

  it('records nothing for a change that added no touch (a stage move, a rescore)', () => {
    expect(touchEntries(again, { ...again, stage: 'qualified', version: again.version + 1 })).toEqual([]);
  });
});
