import { createHash } from 'node:crypto';
import * as z from 'zod';
import { profileSchema } from './profile';
import { engagementEventSchema, scoreSchema } from './scoring';
import { stages } from './stages';

export { profileFields, profileSchema, type Profile } from './profile';

/** Where one submission came from: UTM parameters, referrer and landing page. */
export const touchSchema = z.object({
  at: z.string(),
  formId: z.string(),
  source: z.string(),
  medium: z.string().optional(),
  campaign: z.string().optional(),
  term: z.string().optional(),
  content: z.string().optional(),
  referrer: z.string().optional(),
  landingPage: z.string().optional(),
  /** The form tool that delivered it, when not leadflow's own format. */
  provider: z.string().optional(),
  /** What was received but not kept (uploads, fields over the limit). */
  notes: z.array(z.string()).optional(),
});
export type Touch = z.infer<typeof touchSchema>;

export const ownerSchema = z.object({ name: z.string(), email: z.string() });
export type Owner = z.infer<typeof ownerSchema>;

export const objectionTypes = ['price', 'features', 'timing', 'authority', 'other'] as const;

export const leadSchema = z.object({
  leadId: z.string(),
  email: z.string(),
  profile: profileSchema,
  customFields: z.record(z.string(), z.string()),
  consent: z.boolean(),
  stage: z.enum(stages),
  /** When the lead entered its current stage (time-in-stage and follow-up timing start here). */
  stageChangedAt: z.string(),
  owner: ownerSchema.optional(),
  /** Set when won. */
  deal: z.object({ value: z.number(), currency: z.string(), wonAt: z.string() }).optional(),
  /** The latest objection raised, and why a lead was lost or disqualified. */
  objection: z.object({ type: z.enum(objectionTypes), note: z.string().optional(), at: z.string() }).optional(),
  closedReason: z.string().optional(),
  /** First-touch source, the one funnel metrics group by. */
  source: z.string(),
  attribution: z.object({ firstTouch: touchSchema, lastTouch: touchSchema }),
  touches: z.number().int().positive(),
  /** The current score with its breakdown, and the recent engagement it was computed from. */
  score: scoreSchema.optional(),
  engagement: z.array(engagementEventSchema).default([]),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Optimistic-locking counter: every write checks the version it read. */
  version: z.number().int().positive(),
});
export type Lead = z.infer<typeof leadSchema>;

export const leadIdSchema = z.string().regex(/^ld_[A-Za-z0-9_-]{22}$/, 'is not a lead id');

/**
 * A lead's id is derived from its normalized email, so the same person always maps to the same
 * lead (and the same workflow execution name) without a separate uniqueness index.
 */
export function leadIdFor(normalizedEmail: string): string {
  return `ld_${createHash('sha256').update(`leadflow:lead:${normalizedEmail}`).digest('base64url').slice(0, 22)}`;
}
