import { describe, expect, it } from 'vitest';
import { planCapture } from '../../core/capture';
import { UnprocessableError, ValidationError } from '../../core/errors';
import {
  handoffMove,
  needsOwner,
  ownerAtSlot,
  ownerToTell,
  reassignOwner,
  resumeStage,
  scoreChanged,
  scoreSummary,
  withAssignedOwner,
} from '../../core/handoff';
import type { Lead } from '../../core/lead';
import { defaultScoringRules } from '../../core/scoring';
import { validateSubmission } from '../../core/submission';
import { moveLead } from '../../core/transitions';

const owners = [
  { name: 'Sam', email: 'sam@example.com' },
  { name: 'Kim', email: 'kim@example.com' },
  { name: 'Lee', email: 'lee@example.com' },
];
const now = new Date('2026-03-02T00:00:00Z');
const strong = {
  email: 'ada@example.com',
  firstName: 'Ada',
  company: 'Ada Systems',
  jobTitle: 'VP Engineering',
  companySize: '201-1000',
  industry: 'Software',
  country: 'United States',
  budget: '$25k-$100k',
  timeline: 'This quarter',
};
const capture = (fields: Record<string, string>): Lead =>
  planCapture(
    undefined,
    validateSubmission(fields),
    { formId: 'default' },
    new Date('2026-03-01T00:00:00Z'),
    defaultScoringRules,
    {},
    {
      leadId: 'ld_testLeadIdFromTheKey00',
    },
  ).lead;
const qualifying = capture(strong);
const weak = capture({ email: 'weak@example.com' });

describe('owner assignment', () => {
  it('hands out the owners round-robin by the counter', () => {
    expect([0, 1, 2, 3, 4].map((slot) => ownerAtSlot(owners, slot).name)).toEqual(['Sam', 'Kim', 'Lee', 'Sam', 'Kim']);
  });

  it('gives a qualified lead without an owner the slot owner, and names it on the move into qualified', () => {
    const nurtured = { ...qualifying, stage: 'nurturing' as const };
    const { lead, entry } = moveLead(nurtured, { stage: 'qualified', currency: 'USD' }, 'api-key:rep', now);
    expect(needsOwner(lead)).toBe(true);
    const owned = withAssignedOwner(lead, [entry], owners, 4);
    expect(owned.lead.owner).toEqual({ name: 'Kim', email: 'kim@example.com' });
    expect(owned.entries[0]!.data).toMatchObject({ from: 'nurturing', to: 'qualified', owner: 'kim@example.com' });
    expect(needsOwner(owned.lead)).toBe(false);
  });

  it('leaves a lead that has an owner, or is not qualified, as it is', () => {
    const owned = { ...qualifying, stage: 'qualified' as const, owner: owners[2]! };
    expect(withAssignedOwner(owned, [], owners, 0)).toEqual({ lead: owned, entries: [] });
    expect(withAssignedOwner(weak, [], owners, 0).owner).toBeUndefined();
  });
});

describe('reassignOwner', () => {
  const lead = { ...qualifying, stage: 'qualified' as const, owner: owners[0]!, version: 3 };

  it('sets a configured owner with an owner_changed entry (from, to, by whom)', () => {
    const { lead: changed, entries } = reassignOwner(lead, { ownerEmail: 'KIM@example.com' }, owners, 'api-key:lead', now);
    expect(changed).toMatchObject({ owner: { name: 'Kim', email: 'kim@example.com' }, version: 4 });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      type: 'owner_changed',
      actor: 'api-key:lead',
      data: { from: 'sam@example.com', to: 'kim@example.com' },
    });
  });

  it('changes nothing when the lead already has that owner', () => {
    expect(reassignOwner(lead, { ownerEmail: 'sam@example.com' }, owners, 'x', now)).toEqual({ lead, entries: [] });
  });

  it('rejects a body without an address (400) and an address that is no configured owner (422)', () => {
    expect(() => reassignOwner(lead, {}, owners, 'x', now)).toThrow(ValidationError);
    expect(() => reassignOwner(lead, { ownerEmail: 'nope' }, owners, 'x', now)).toThrow(ValidationError);
    expect(() => reassignOwner(lead, { ownerEmail: 'stranger@example.com' }, owners, 'x', now)).toThrow(UnprocessableError);
  });
});

describe('handoffMove', () => {
  it('moves a nurtured lead whose score meets the qualify decision under the active rules, saying why', () => {
    const move = handoffMove({ ...qualifying, stage: 'nurturing' }, defaultScoringRules);
    expect(move).toMatchObject({ stage: 'qualified' });
    expect(move!.reason).toBe(
      `score ${String(qualifying.score!.total)} (grade ${qualifying.score!.grade}) meets the qualify decision under rules ${defaultScoringRules.version}`,
    );
  });

  it('leaves a lead whose score does not qualify, one in another stage, and a score made under other rules', () => {
    expect(handoffMove({ ...weak, stage: 'nurturing' }, defaultScoringRules)).toBeUndefined();
    expect(handoffMove({ ...qualifying, stage: 'presentation' }, defaultScoringRules)).toBeUndefined();
    expect(handoffMove({ ...qualifying, stage: 'nurturing' }, { ...defaultScoringRules, version: 'other' })).toBeUndefined();
  });

  it('follows a new score only, so a lead moved back to nurturing is not bounced to sales again', () => {
    const nurtured = { ...qualifying, stage: 'nurturing' as const };
    expect(scoreChanged(nurtured, { ...nurtured, version: nurtured.version + 1 })).toBe(false);
    expect(scoreChanged(nurtured, { ...nurtured, score: { ...nurtured.score!, scoredAt: now.toISOString() } })).toBe(true);
    expect(scoreChanged(undefined, nurtured)).toBe(true);
  });
});

describe('resumeStage', () => {
  const before = { ...qualifying, stage: 'qualified' as const };
  const after = { ...before, stage: 'presentation' as const };
  const wait = { taskToken: 't', stage: 'qualified' as const };

  it('resumes a workflow waiting in the old stage at the new stage', () => {
    expect(resumeStage(before, after, wait)).toBe('presentation');
    expect(resumeStage(before, after, { ...wait, kind: 'stage' })).toBe('presentation');
  });

  it('resumes nothing without a stage change, a wait, for a wait already at the new stage, or one parked for an operator', () => {
    expect(resumeStage(before, { ...before, version: 9 }, wait)).toBeUndefined();
    expect(resumeStage(undefined, after, wait)).toBeUndefined();
    expect(resumeStage(before, after, undefined)).toBeUndefined();
    expect(resumeStage(before, after, { ...wait, stage: 'presentation' })).toBeUndefined();
    expect(resumeStage(before, after, { ...wait, kind: 'attention' })).toBeUndefined();
  });
});

describe('ownerToTell', () => {
  const owned = { ...qualifying, stage: 'qualified' as const, owner: owners[0]!, version: 3 };

  it('tells an owner the lead did not have, once per assignment', () => {
    const told = ownerToTell(qualifying, owned);
    expect(told).toEqual({ owner: owners[0], onceKey: 'owner-assigned:sam@example.com:3' });
    expect(ownerToTell(owned, { ...owned, owner: owners[1]!, version: 4 })?.onceKey).toBe('owner-assigned:kim@example.com:4');
  });

  it('tells nobody when the owner stayed or there is none', () => {
    expect(ownerToTell(owned, { ...owned, version: 4 })).toBeUndefined();
    expect(ownerToTell(undefined, qualifying)).toBeUndefined();
  });
});

describe('scoreSummary', () => {
  it('shows total, grade, categories and one line per rule that fired', () => {
    const summary = scoreSummary(qualifying);
    const score = qualifying.score!;
    expect(summary).toMatchObject({ scoreTotal: String(score.total), grade: score.grade, fit: String(score.fit) });
    expect(summary.scoreLines).toHaveLength(score.breakdown.length);
    expect(summary.scoreLines[0]).toContain(score.breakdown[0]!.ruleId);
  });
});
