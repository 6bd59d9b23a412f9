import { describe, expect, it } from 'vitest';
import { planCapture } from '../../core/capture';
import { durationSeconds } from '../../core/duration';
import { ConflictError, ValidationError } from '../../core/errors';
import { lifecycleConfigSchema, planStep, playbookFor } from '../../core/lifecycle';
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

  it('chains the retention gaps so the emails land 7, 30 and 90 days after the win', () => {
    const { next, retention } = planStep('won', 0, config);
    expect(next).toBe('won');
    expect(retention).toEqual({ checkInSeconds: 7 * day, surveySeconds: 23 * day, upsellSeconds: 60 * day });
    expect(planStep('lost', 0, config)).toMatchObject({ next: 'lost', renurtureSeconds: 90 * day });
    expect(planStep('disqualified', 0, config).next).toBe('end');
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
