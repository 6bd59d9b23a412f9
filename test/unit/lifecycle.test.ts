import { describe, expect, it } from 'vitest';
import { planCapture } from '../../core/capture';
import { durationSeconds } from '../../core/duration';
import { ConflictError, ValidationError } from '../../core/errors';
import { lifecycleConfigSchema, planStep, playbookFor, successorExecutionName, successorStep } from '../../core/lifecycle';
import { defaultScoringRules } from '../../core/scoring';
import { allowedMoves, nextStage, parseStageMove } from '../../core/stage-machine';
import { stages } from '../../core/stages';
import { validateSubmission } from '../../core/submission';
import { moveLead } from '../../core/transitions';

const config = lifecycleConfigSchema.parse({
  owners: [{ name: 'Sam', email: 'sam@example.com' }],
  manager: { name: 'Morgan', email: 'morgan@example.com' },
});
const day = 86_400;

describe('durationSeconds', () => {
  it.each([
    ['P1D', day],
    ['PT12H', 43_200],
    ['P1W', 7 * day],
    ['P1DT1H1M1S', day + 3661],
  ])('%s is %i seconds', (duration, seconds) => {
    expect(durationSeconds(duration)).toBe(seconds);
  });

  it.each(['P1M', 'P1Y', '1D', 'P', 'PT', 'P-1D'])('rejects %s', (duration) => {
    expect(() => durationSeconds(duration)).toThrow(ValidationError);
  });
});

describe('allowed moves', () => {
  it('lets a lead go forward through the funnel and back from objection to presentation', () => {
    expect(nextStage('qualified', 'presentation')).toBe('presentation');
    expect(nextStage('objection', 'presentation')).toBe('presentation');
    expect(nextStage('closing', 'won')).toBe('won');
  });

  it('answers an invalid move with a 409 that names the allowed stages', () => {
    try {
      nextStage('qualified', 'won');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as ConflictError).kind).toBe('conflict');
      expect((error as Error).message).toBe(
        'cannot move a lead from qualified to won; allowed: presentation, nurturing, disqualified, lost',
      );
    }
  });

  it('ends at won and disqualified, and never allows staying put', () => {
    expect(allowedMoves.won).toEqual([]);
    expect(allowedMoves.disqualified).toEqual([]);
    for (const stage of stages) expect(allowedMoves[stage]).not.toContain(stage);
  });
});

describe('parseStageMove', () => {
  it('requires a deal value to win, an objection type for an objection and a reason to lose', () => {
    expect(() => parseStageMove({ stage: 'won' })).toThrow(/deal needs its value/);
    expect(() => parseStageMove({ stage: 'objection' })).toThrow(/needs its type/);
    expect(() => parseStageMove({ stage: 'lost' })).toThrow(/needs a reason/);
    expect(parseStageMove({ stage: 'won', dealValue: 100 })).toEqual({ stage: 'won', dealValue: 100, currency: 'USD' });
  });

  it('rejects unknown stages, negative values and unknown fields', () => {
    for (const body of [
      { stage: 'sideways' },
      { stage: 'won', dealValue: -1 },
      { stage: 'presentation', extra: 1 },
      { stage: 'objection', objection: { type: 'mood' } },
    ]) {
      expect(() => parseStageMove(body)).toThrow(ValidationError);
    }
  });
});

describe('moveLead', () => {
  const captured = planCapture(
    undefined,
    validateSubmission({ email: 'a@b.co' }),
    { formId: 'default' },
    new Date('2026-03-01T00:00:00Z'),
    defaultScoringRules,
    {},
    { leadId: 'ld_testLeadIdFromTheKey00' },
  ).lead;
  const qualified = { ...captured, stage: 'qualified' as const, stageChangedAt: '2026-03-01T00:00:00.000Z' };

  it('records who, why, and how long the lead sat in its previous stage', () => {
    const { lead, entry } = moveLead(
      qualified,
      parseStageMove({ stage: 'presentation', reason: 'demo booked' }),
      'api-key:rep',
      new Date('2026-03-03T12:00:00Z'),
    );
    expect(lead).toMatchObject({ stage: 'presentation', stageChangedAt: '2026-03-03T12:00:00.000Z', version: captured.version + 1 });
    expect(entry).toMatchObject({
      type: 'stage_changed',
      actor: 'api-key:rep',
      data: {
        from: 'qualified',
        to: 'presentation',
        reason: 'demo booked',
        secondsInPrevious: 2.5 * day,
        leadCreatedAt: captured.createdAt,
      },
    });
  });

  it('keeps the deal of a win and the objection raised', () => {
    const closing = { ...qualified, stage: 'closing' as const };
    const won = moveLead(
      closing,
      parseStageMove({ stage: 'won', dealValue: 42_000, currency: 'EUR' }),
      'rep',
      new Date('2026-03-05T00:00:00Z'),
    );
    expect(won.lead.deal).toEqual({ value: 42_000, currency: 'EUR', wonAt: '2026-03-05T00:00:00.000Z' });
    expect(won.entry.data).toMatchObject({ dealValue: 42_000, currency: 'EUR' });
    const presentation = { ...qualified, stage: 'presentation' as const };
    const objection = moveLead(
      presentation,
      parseStageMove({ stage: 'objection', objection: { type: 'price', note: 'too high' } }),
      'rep',
      new Date('2026-03-05T00:00:00Z'),
    );
    expect(objection.lead.objection).toEqual({ type: 'price', note: 'too high', at: '2026-03-05T00:00:00.000Z' });
  });
});

describe('planStep', () => {
  it('reminds the owner after a day, escalates two days later, then goes stale', () => {
    expect(planStep('qualified', 0, config)).toMatchObject({ next: 'await', timeoutSeconds: day, onTimeout: ['remind-owner'] });
    expect(planStep('qualified', 1, config)).toMatchObject({ next: 'await', timeoutSeconds: 2 * day, onTimeout: ['escalate-manager'] });
    expect(planStep('qualified', 2, config)).toMatchObject({ next: 'await', timeoutSeconds: 14 * day, onTimeout: ['remind-owner'] });
  });

  it('checks in with the prospect and reminds the owner when a deal idles', () => {
    expect(planStep('presentation', 0, config)).toMatchObject({
      timeoutSeconds: 3 * day,
      onTimeout: ['check-in-prospect', 'remind-owner'],
    });
    expect(planStep('closing', 0, config)).toMatchObject({ timeoutSeconds: 2 * day });
  });

  it('times the retention emails 7, 30 and 90 days after the win, and the re-nurture 90 days after the loss', () => {
    const wonAt = '2026-01-01T00:00:00.000Z';
    const { next, retention } = planStep('won', 0, config, { now: new Date('2026-01-05T00:00:00Z'), stageChangedAt: wonAt });
    expect(next).toBe('won');
    // Counted from the win, not from now: a resumed or successor execution keeps the same dates.
    expect(retention).toEqual({
      checkInAt: '2026-01-08T00:00:00.000Z',
      surveyAt: '2026-01-31T00:00:00.000Z',
      upsellAt: '2026-04-01T00:00:00.000Z',
    });
    expect(planStep('lost', 0, config, { now: new Date(wonAt), stageChangedAt: wonAt })).toMatchObject({
      next: 'lost',
      renurtureAt: '2026-04-01T00:00:00.000Z',
    });
    expect(planStep('disqualified', 0, config).next).toBe('end');
  });

  it('hands over to a successor when the wait ahead would run past continueAsNewAfter', () => {
    const startedAt = '2026-01-01T00:00:00.000Z';
    const at = (days: number) => new Date(Date.parse(startedAt) + days * day * 1000);
    const nurturing = (days: number) => planStep('nurturing', 0, config, { executionStartedAt: startedAt, now: at(days) });
    expect(nurturing(329)).toMatchObject({ next: 'await', timeoutSeconds: 30 * day });
    expect(nurturing(331)).toMatchObject({ next: 'continue', then: 'await', timeoutSeconds: 30 * day });
    // A win at day 300: the 90 days of retention emails would not fit, so a successor sends them.
    const won = planStep('won', 0, config, { executionStartedAt: startedAt, now: at(300), stageChangedAt: at(300).toISOString() });
    expect(won).toMatchObject({ next: 'continue', then: 'won' });
    expect(successorStep(won)).toMatchObject({ next: 'won', retention: won.retention });
    expect(successorStep(won)).not.toHaveProperty('then');
    // Without an execution's start (not a step of an execution), no hand-over.
    expect(planStep('nurturing', 0, config, { now: at(400) }).next).toBe('await');
  });

  it('names successor executions by generation', () => {
    expect(successorExecutionName('ld_abc')).toBe('ld_abc-g2');
    expect(successorExecutionName('ld_abc-g2')).toBe('ld_abc-g3');
    expect(successorExecutionName('ld_abc-20260101000000000-g9')).toBe('ld_abc-20260101000000000-g10');
  });

  it('recycles a qualified lead nobody moved for recycleQualifiedAfter', () => {
    const qualifiedAt = '2026-01-01T00:00:00.000Z';
    const after = (days: number) => ({ now: new Date(Date.parse(qualifiedAt) + days * day * 1000), stageChangedAt: qualifiedAt });
    // Reminder, escalation, then stale reminders every 14 days until day 30, when it goes back to nurturing.
    expect(planStep('qualified', 2, config, after(3))).toMatchObject({ timeoutSeconds: 14 * day, onTimeout: ['remind-owner'] });
    expect(planStep('qualified', 3, config, after(17))).toMatchObject({ timeoutSeconds: 13 * day, onTimeout: ['recycle-to-nurturing'] });
    expect(planStep('qualified', 4, config, after(31))).toMatchObject({ timeoutSeconds: 0, onTimeout: ['recycle-to-nurturing'] });
  });

  it('refuses waits that could never fit in one execution', () => {
    const result = lifecycleConfigSchema.safeParse({ ...config, continueAsNewAfter: 'P60D' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(
      expect.arrayContaining(['retention.upsellAfter', 'renurtureAfter']),
    );
    expect(lifecycleConfigSchema.safeParse({ ...config, continueAsNewAfter: 'P400D' }).success).toBe(false);
  });

  it('refuses a configuration whose chained delays would not move forward', () => {
    const result = lifecycleConfigSchema.safeParse({
      ...config,
      retention: { checkInAfter: 'P30D', surveyAfter: 'P7D', upsellAfter: 'P90D' },
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['retention', 'surveyAfter']);
  });

  it('names a malformed delay as an issue of its own field (the ordering check does not throw on it)', () => {
    const result = lifecycleConfigSchema.safeParse({ ...config, followUps: { ...config.followUps, qualifiedRemindAfter: 'soon' } });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join('.'))).toEqual(['followUps.qualifiedRemindAfter']);
  });

  it('takes every delay from configuration', () => {
    const fast = lifecycleConfigSchema.parse({ ...config, followUps: { ...config.followUps, qualifiedRemindAfter: 'PT2H' } });
    expect(planStep('qualified', 0, fast).timeoutSeconds).toBe(7200);
  });
});

describe('playbooks', () => {
  it('hands the rep the guidance for the stage and the objection', () => {
    expect(playbookFor(config, 'objection', 'price').join(' ')).toMatch(/return on investment/);
    expect(playbookFor(config, 'closing').join(' ')).toMatch(/Assumptive close.*|trial close/i);
    const custom = lifecycleConfigSchema.parse({ ...config, playbooks: { closing: ['Ask for the signature.'] } });
    expect(playbookFor(custom, 'closing')).toEqual(['Ask for the signature.']);
  });
});
