import * as z from 'zod';
import { ruleKinds } from './rules-schema';

export const grades = ['A', 'B', 'C', 'D'] as const;
export const gradeSchema = z.enum(grades);
export type Grade = z.infer<typeof gradeSchema>;

export const scoreCategorySchema = z.enum(['fit', 'engagement']);
export type ScoreCategory = z.infer<typeof scoreCategorySchema>;

/**
 * One line of a score's breakdown: a rule that fired, or a `clamp` line (`cap:fit`,
 * `floor:engagement`, ...) that records how a sum was brought back into 0-100, so the lines of a
 * category always add up to that category's value.
 */
export const scoreLineSchema = z.object({
  ruleId: z.string(),
  kind: z.enum([...ruleKinds, 'clamp']),
  category: scoreCategorySchema,
  /** A multiple of 0.1; add lines with `sumPoints` for an exact sum. */
  points: z.number(),
  reason: z.string(),
});
export type ScoreLine = z.infer<typeof scoreLineSchema>;

const percentSchema = z.number().min(0).max(100);

export const scoreSchema = z.object({
  rulesVersion: z.string(),
  /** Sum of the fit lines: BANT and ideal-customer-profile fit. */
  fit: percentSchema,
  /** Sum of the engagement lines: decayed, capped engagement events. */
  engagement: percentSchema,
  /** fit * weights.fit + engagement * weights.engagement, rounded to 0.1. */
  total: percentSchema,
  grade: gradeSchema,
  /** The weights the total was made with, copied from the rules, so a score explains itself. */
  weights: z.object({ fit: z.number(), engagement: z.number() }),
  breakdown: z.array(scoreLineSchema),
  scoredAt: z.string(),
});
export type Score = z.infer<typeof scoreSchema>;
