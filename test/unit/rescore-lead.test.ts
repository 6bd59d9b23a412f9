import { describe, expect, it } from 'vitest';
import { planCapture } from '../../core/capture';
import { defaultScoringRules as rules } from '../../core/scoring';
import { validateSubmission } from '../../core/submission';
import { rescoreLead } from '../../core/transitions';

const now = new Date('2026-11-26T12:00:00.000Z');
const form = { formId: 'default' };
const captured = planCapture(
  undefined,
  validateSubmission({ email: 'ada@example.com', jobTitle: 'VP Engineering', companySize: '201-1000', budget: '$25k-$100k' }),
  form,
  now,
  rules,
  {},
  { leadId: 'ld_testLeadIdFromTheKey00' },
).lead;

describe('rescoreLead', () => {
  it('scores an engagement event into the next version and says how the score moved and why', () => {
    const later = new Date(now.getTime() + 60_000);
    const { lead, scoreChange } = rescoreLead(
      captured,
      { type: 'meeting', at: later.toISOString() },
      rules,
      'api-key:crm',
      later,
      'meeting',
    );
    expect(lead.version).toBe(captured.version + 1);
    expect(lead.updatedAt).toBe(later.toISOString());
    expect(lead.score.total).toBeGreaterThan(captured.score!.total);
    expect(scoreChange).toMatchObject({
      leadId: captured.leadId,
      type: 'score_changed',
      actor: 'api-key:crm',
      data: {
        from: { total: captured.score!.total, grade: captured.score!.grade },
        to: { total: lead.score.total, grade: lead.score.grade },
        rulesVersion: rules.version,
        cause: 'meeting',
      },
    });
    // Same rules before and after: `from` names no rules version.
    expect(scoreChange?.data.from).toEqual({ total: captured.score!.total, grade: captured.score!.grade });
  });

  it('writes no entry when nothing about the score changed', () => {
    const { lead, scoreChange } = rescoreLead(captured, undefined, rules, 'rescore', now, 'rules published');
    expect(lead.score.total).toBe(captured.score!.total);
    expect(scoreChange).toBeUndefined();
  });

  it('records new rules even when they give the same figures', () => {
    const republished = { ...rules, version: 'same-figures-2' };
    const { scoreChange } = rescoreLead(captured, undefined, republished, 'rescore', now, 'rules published');
    expect(scoreChange?.data).toMatchObject({
      from: { rulesVersion: rules.version },
      rulesVersion: 'same-figures-2',
      cause: 'rules published',
    });
  });
});
