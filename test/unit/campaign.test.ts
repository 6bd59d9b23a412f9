import { describe, expect, it } from 'vitest';
import {
  campaignStepOnceKey,
  leadChangeOf,
  mayReEnter,
  parseCampaign,
  segmentMatches,
  segmentStages,
  sequenceExecutionName,
  stepConditionHolds,
  triggerMatches,
  whyStop,
  type CampaignTrigger,
} from '../../core/campaign';
import { ValidationError } from '../../core/errors';
import type { Lead } from '../../core/lead';

const touch = { at: '2026-03-01T10:00:00.000Z', formId: 'webinar', source: 'newsletter', campaign: 'spring' };

function lead(overrides: Partial<Lead> = {}): Lead {
  return {
    leadId: 'ld_aaaaaaaaaaaaaaaaaaaaaa',
    email: 'ada@example.com',
    profile: { firstName: 'Ada' },
    customFields: { plan: 'pro' },
    consent: true,
    consentRecords: [{ at: touch.at, formId: 'webinar', text: 'Send me the newsletter', method: 'form' }],
    stage: 'nurturing',
    stageChangedAt: touch.at,
    source: 'newsletter',
    attribution: { firstTouch: touch, lastTouch: touch },
    touches: 1,
    score: {
      rulesVersion: 'v1',
      fit: 40,
      engagement: 20,
      total: 34,
      grade: 'C',
      weights: { fit: 0.7, engagement: 0.3 },
      breakdown: [],
      scoredAt: touch.at,
    },
    engagement: [],
    createdAt: touch.at,
    updatedAt: touch.at,
    version: 1,
    ...overrides,
  };
}

const valid = { name: 'Spring nurture', segment: { stages: ['nurturing'] }, steps: [{ templateId: 'welcome', delay: 'P0D' }] };

function detailsOf(body: unknown): Array<{ path: string; message: string }> {
  try {
    parseCampaign(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).details;
  }
  throw new Error('the campaign was accepted');
}

describe('campaign definitions', () => {
  it('accepts the API shape and defaults the segment to every lead', () => {
    const parsed = parseCampaign({ name: 'All', steps: [{ templateId: 'welcome', delay: 'PT12H' }] });
    expect(parsed.segment).toEqual({});
    expect(segmentStages(parsed.segment)).toHaveLength(9);
  });

  it('names the bad field as people write it', () => {
    const body = { ...valid, steps: [valid.steps[0], { templateId: 'second', delay: 'P1M' }] };
    expect(detailsOf(body).map((detail) => detail.path)).toEqual(['steps[1].delay']);
    expect(detailsOf({ ...valid, segment: { stages: ['prospect'] } })[0]?.path).toBe('segment.stages[0]');
    expect(detailsOf({ ...valid, steps: [] })[0]?.path).toBe('steps');
    expect(detailsOf({ ...valid, segment: { minScore: 80, maxScore: 20 } })[0]?.path).toBe('segment.minScore');
    expect(detailsOf({ ...valid, steps: [{ templateId: 'a', delay: 'P1D', condition: { type: 'score_below' } }] })[0]?.path).toBe(
      'steps[0].condition.value',
    );
    expect(detailsOf({ ...valid, unknownField: 1 })[0]?.path).toBe('(body)');
  });

  it('refuses a previous-step condition on the first step', () => {
    expect(detailsOf({ ...valid, steps: [{ templateId: 'a', delay: 'P1D', condition: { type: 'opened_previous' } }] })[0]?.path).toBe(
      'steps[0].condition',
    );
  });

  it('validates triggers and re-entry', () => {
    expect(detailsOf({ ...valid, triggers: [{ type: 'captured' }] })[0]?.path).toBe('triggers[0].formIds');
    expect(detailsOf({ ...valid, triggers: [{ type: 'stage_entered', stage: 'gone' }] })[0]?.path).toBe('triggers[0].stage');
    expect(detailsOf({ ...valid, reEntryAfter: 'soon' })[0]?.path).toBe('reEntryAfter');
  });
});

describe('segments', () => {
  it('matches each criterion', () => {
    const ada = lead();
    expect(segmentMatches(ada, {})).toBe(true);
    expect(segmentMatches(ada, { stages: ['nurturing', 'lost'] })).toBe(true);
    expect(segmentMatches(ada, { stages: ['lost'] })).toBe(false);
    expect(segmentMatches(ada, { minScore: 34, maxScore: 34 })).toBe(true);
    expect(segmentMatches(ada, { minScore: 35 })).toBe(false);
    expect(segmentMatches(ada, { maxScore: 33 })).toBe(false);
    expect(segmentMatches(ada, { minFit: 41 })).toBe(false);
    expect(segmentMatches(ada, { grades: ['C'] })).toBe(true);
    expect(segmentMatches(ada, { grades: ['A', 'B'] })).toBe(false);
    expect(segmentMatches(ada, { sources: ['ads'] })).toBe(false);
    expect(segmentMatches(ada, { utmCampaigns: ['spring'] })).toBe(true);
    expect(segmentMatches(ada, { utmCampaigns: ['autumn'] })).toBe(false);
    expect(segmentMatches(ada, { formIds: ['webinar'] })).toBe(true);
    expect(segmentMatches(ada, { capturedAfter: '2026-03-01T10:00:00Z', capturedBefore: '2026-03-02T00:00:00Z' })).toBe(true);
    expect(segmentMatches(ada, { capturedBefore: '2026-03-01T10:00:00Z' })).toBe(false);
    expect(segmentMatches(ada, { customField: { name: 'plan', equals: 'pro' } })).toBe(true);
    expect(segmentMatches(ada, { customField: { name: 'plan', equals: 'free' } })).toBe(false);
  });

  it('holds a lead not scored yet out of score criteria', () => {
    expect(segmentMatches(lead({ score: undefined }), { maxScore: 50 })).toBe(false);
    expect(segmentMatches(lead({ score: undefined }), {})).toBe(true);
  });
});

describe('why a sequence stops', () => {
  const campaign = { segment: { stages: ['nurturing' as const, 'lost' as const] } };
  it('goes on for a consenting lead in the segment', () => {
    expect(whyStop(lead(), campaign)).toBeUndefined();
  });
  it('stops without consent, in a sales stage, or out of the segment', () => {
    expect(whyStop(lead({ consent: false }), campaign)).toBe('no_consent');
    expect(whyStop(lead({ consent: false, unsubscribedAt: '2026-03-02T09:00:00.000Z' }), campaign)).toBe('unsubscribed');
    for (const stage of ['qualified', 'presentation', 'objection', 'closing', 'won'] as const) {
      expect(whyStop(lead({ stage }), campaign)).toBe('sales_stage');
    }
    expect(whyStop(lead({ stage: 'disqualified' }), campaign)).toBe('left_segment');
  });
});

describe('step conditions', () => {
  const ada = lead();
  const sent = { sent: true, opened: false, clicked: false };
  it('holds without a condition', () => {
    expect(stepConditionHolds(undefined, undefined, ada)).toBe(true);
  });
  it('reads the previous step', () => {
    expect(stepConditionHolds({ type: 'opened_previous' }, { ...sent, opened: true }, ada)).toBe(true);
    expect(stepConditionHolds({ type: 'opened_previous' }, sent, ada)).toBe(false);
    expect(stepConditionHolds({ type: 'not_opened_previous' }, sent, ada)).toBe(true);
    expect(stepConditionHolds({ type: 'not_opened_previous' }, { ...sent, clicked: true }, ada)).toBe(false);
    expect(stepConditionHolds({ type: 'clicked_previous' }, { ...sent, clicked: true }, ada)).toBe(true);
    expect(stepConditionHolds({ type: 'not_clicked_previous' }, { ...sent, opened: true }, ada)).toBe(true);
  });
  it('never holds a previous-step condition when that step was not sent', () => {
    const skipped = { sent: false, opened: false, clicked: false };
    expect(stepConditionHolds({ type: 'not_opened_previous' }, skipped, ada)).toBe(false);
    expect(stepConditionHolds({ type: 'not_clicked_previous' }, undefined, ada)).toBe(false);
  });
  it('compares the score', () => {
    expect(stepConditionHolds({ type: 'score_below', value: 35 }, undefined, ada)).toBe(true);
    expect(stepConditionHolds({ type: 'score_below', value: 34 }, undefined, ada)).toBe(false);
    expect(stepConditionHolds({ type: 'score_at_least', value: 34 }, undefined, ada)).toBe(true);
  });
});

describe('triggers', () => {
  const captured: CampaignTrigger = { type: 'captured', formIds: ['webinar'] };
  it('matches captures by form or source', () => {
    expect(triggerMatches(captured, { kind: 'captured', formId: 'webinar', source: 'x' })).toBe(true);
    expect(triggerMatches(captured, { kind: 'captured', formId: 'pricing', source: 'x' })).toBe(false);
    expect(triggerMatches({ type: 'captured', sources: ['ads'] }, { kind: 'captured', formId: 'a', source: 'ads' })).toBe(true);
  });
  it('matches stage entries and engagement of an asset', () => {
    expect(triggerMatches({ type: 'stage_entered', stage: 'lost' }, { kind: 'stage_entered', stage: 'lost' })).toBe(true);
    expect(triggerMatches({ type: 'stage_entered', stage: 'lost' }, { kind: 'stage_entered', stage: 'won' })).toBe(false);
    const download: CampaignTrigger = { type: 'engagement', eventType: 'content_download', asset: 'guide.pdf' };
    expect(triggerMatches(download, { kind: 'engagement', eventType: 'content_download', asset: 'guide.pdf' })).toBe(true);
    expect(triggerMatches(download, { kind: 'engagement', eventType: 'content_download', asset: 'other.pdf' })).toBe(false);
    expect(triggerMatches(download, { kind: 'stage_entered', stage: 'lost' })).toBe(false);
  });
  it('reads changes from history entries', () => {
    expect(leadChangeOf({ type: 'captured', data: { formId: 'f', source: 's' } })).toEqual({ kind: 'captured', formId: 'f', source: 's' });
    expect(leadChangeOf({ type: 'stage_changed', data: { from: 'new', to: 'lost' } })).toEqual({ kind: 'stage_entered', stage: 'lost' });
    expect(leadChangeOf({ type: 'engagement', data: { type: 'content_download', properties: { asset: 'g' } } })).toEqual({
      kind: 'engagement',
      eventType: 'content_download',
      asset: 'g',
    });
    expect(leadChangeOf({ type: 'email_sent', data: {} })).toBeUndefined();
  });
});

describe('entries', () => {
  it('lets a lead enter again only where allowed, after the delay', () => {
    const now = new Date('2026-03-10T00:00:00Z');
    expect(mayReEnter({}, '2026-01-01T00:00:00Z', now)).toBe(false);
    expect(mayReEnter({ reEntryAfter: 'P30D' }, '2026-02-01T00:00:00Z', now)).toBe(true);
    expect(mayReEnter({ reEntryAfter: 'P30D' }, '2026-03-01T00:00:00Z', now)).toBe(false);
  });
  it('keys each entry and step apart', () => {
    expect(campaignStepOnceKey('cmp_1', 0)).toBe('campaign:cmp_1:step:0');
    expect(campaignStepOnceKey('cmp_1', 0, 2)).not.toBe(campaignStepOnceKey('cmp_1', 0));
    expect(sequenceExecutionName('cmp_1', 'ld_x', 2).length).toBeLessThanOrEqual(80);
  });
});
