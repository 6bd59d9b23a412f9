import * as z from 'zod';
import { ConflictError, ValidationError, detailsFromIssues } from './errors';
import { objectionTypes } from './lead';
import { stages, type Stage } from './stages';

/**
 * The one table of allowed stage moves. Everything else (the API's 409, the workflow's branches,
 * the metrics' funnel order) reads it from here.
 */
export const allowedMoves: Record<Stage, readonly Stage[]> = {
  new: ['qualified', 'nurturing', 'disqualified'],
  nurturing: ['qualified', 'disqualified'],
  qualified: ['presentation', 'nurturing', 'disqualified', 'lost'],
  presentation: ['objection', 'closing', 'lost'],
  objection: ['presentation', 'closing', 'lost'],
  closing: ['won', 'lost', 'objection'],
  won: [],
  lost: ['nurturing'],
  disqualified: [],
};

/** The funnel order analysts read conversion along. */
export const funnelStages = ['new', 'qualified', 'presentation', 'objection', 'closing', 'won'] as const satisfies readonly Stage[];

export { objectionTypes };
export type ObjectionType = (typeof objectionTypes)[number];

export const stageMoveSchema = z
  .object({
    stage: z.enum(stages),
    reason: z.string().trim().min(1).max(1000).optional(),
    dealValue: z.number().positive().max(1e12).optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default('USD'),
    objection: z.object({ type: z.enum(objectionTypes), note: z.string().trim().max(2000).optional() }).optional(),
  })
  .strict();
export type StageMove = z.infer<typeof stageMoveSchema>;

export class InvalidStageMoveError extends ConflictError {
  constructor(
    readonly from: Stage,
    readonly to: Stage,
    options?: ErrorOptions,
  ) {
    const allowed = allowedMoves[from];
    super(
      'invalid_stage_move',
      `cannot move a lead from ${from} to ${to}; allowed: ${allowed.length ? allowed.join(', ') : 'none (final stage)'}`,
      allowed.map((stage) => ({ path: 'stage', message: `allowed: ${stage}` })),
      options,
    );
    this.name = 'InvalidStageMoveError';
  }
}

/** Validates a move's body: what each target stage requires. */
export function parseStageMove(body: unknown): StageMove {
  const parsed = stageMoveSchema.safeParse(body);
  if (!parsed.success) throw new ValidationError('the stage move is invalid', detailsFromIssues(parsed.error.issues));
  const move = parsed.data;
  if (move.stage === 'won' && move.dealValue === undefined) {
    throw new ValidationError('a won deal needs its value', [{ path: 'dealValue', message: 'is required for won' }]);
  }
  if (move.stage === 'objection' && !move.objection) {
    throw new ValidationError('an objection needs its type', [{ path: 'objection.type', message: 'is required for objection' }]);
  }
  if ((move.stage === 'lost' || move.stage === 'disqualified') && !move.reason) {
    throw new ValidationError(`a ${move.stage} lead needs a reason`, [{ path: 'reason', message: `is required for ${move.stage}` }]);
  }
  return move;
}

/** The stage a move leads to, or the 409 that names the allowed ones. */
export function nextStage(from: Stage, to: Stage): Stage {
  if (!allowedMoves[from].includes(to)) throw new InvalidStageMoveError(from, to);
  return to;
}
