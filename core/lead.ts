import { createHash } from 'node:crypto';
import * as z from 'zod';
import { stages } from './stages';

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
});
export type Touch = z.infer<typeof touchSchema>;

export const profileSchema = z.object({
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  company: z.string().optional(),
  jobTitle: z.string().optional(),
  phone: z.string().optional(),
  country: z.string().optional(),
  industry: z.string().optional(),
  companySize: z.string().optional(),
  budget: z.string().optional(),
  timeline: z.string().optional(),
  role: z.string().optional(),
  message: z.string().optional(),
});
export type Profile = z.infer<typeof profileSchema>;
export const profileFields = Object.keys(profileSchema.shape) as Array<keyof Profile>;

export const leadSchema = z.object({
  leadId: z.string(),
  email: z.string(),
  profile: profileSchema,
  customFields: z.record(z.string(), z.string()),
  consent: z.boolean(),
  stage: z.enum(stages),
  owner: z.string().optional(),
  /** First-touch source, the one funnel metrics group by. */
  source: z.string(),
  attribution: z.object({ firstTouch: touchSchema, lastTouch: touchSchema }),
  touches: z.number().int().positive(),
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
