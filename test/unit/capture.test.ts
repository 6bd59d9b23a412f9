import { describe, expect, it } from 'vitest';
import { planCapture, touchEntries } from '../../core/capture';
import { leadIdFor } from '../../core/lead';
import { defaultScoringRules as rules } from '../../core/scoring';
import { validateSubmission } from '../../core/submission';

const form = { formId: 'default' };
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
    const { lead, duplicate, touch } = planCapture(undefined, submission, form, first, rules);
    expect(duplicate).toBe(false);
    expect(lead).toMatchObject({
      leadId: leadIdFor('ada@example.com'),
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
    );
    expect(viaReferrer.lead.source).toBe('google.com');
    expect(planCapture(undefined, validateSubmission({ email: 'a@b.co' }), form, first, rules).lead.source).toBe('direct');
  });

  it('updates a known lead: newer values win, first touch stays, last touch moves', () => {
    const created = planCapture(
      undefined,
      validateSubmission({ email: 'a@b.co', company: 'Old', jobTitle: 'CTO', utm_source: 'ads' }),
      form,
      first,
      rules,
    ).lead;
    const again = planCapture(
      created,
      validateSubmission({ email: 'A@B.co', company: 'New', utm_source: 'newsletter' }),
      form,
      later,
      rules,
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

  it('derives the same lead id for the same person however the email is typed', () => {
    expect(leadIdFor('ada@example.com')).toMatch(/^ld_[A-Za-z0-9_-]{22}$/);
    expect(leadIdFor('ada@example.com')).not.toBe(leadIdFor('bob@example.com'));
  });
});

describe('touchEntries', () => {
  const created = planCapture(undefined, validateSubmission({ email: 'a@b.co', utm_source: 'ads' }), form, first, rules).lead;
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
