import { createHmac } from 'node:crypto';
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

/** How a submission for a known lead may change it: fill only its blanks, or overwrite what is known. */
export const updatePolicies = ['fill-blanks', 'overwrite'] as const;
export type UpdatePolicy = (typeof updatePolicies)[number];

/** The latest form submission as it was sent, whatever of it the lead kept: its history entry records it. */
export const lastSubmissionSchema = z.object({
  touch: touchSchema,
  /** The submitted fields (validated), all of them. */
  fields: z.record(z.string(), z.unknown()),
  /** How it was applied to the lead. */
  applied: z.enum(updatePolicies),
});

/** How consent was given: ticked on a single-opt-in form, or confirmed through the double opt-in link. */
export const consentMethods = ['form', 'double_opt_in'] as const;

/** One recorded consent: when, through which form, to what text, and how. */
export const consentRecordSchema = z.object({
  at: z.string(),
  formId: z.string(),
  text: z.string(),
  method: z.enum(consentMethods),
  submissionId: z.string().optional(),
});
export type ConsentRecord = z.infer<typeof consentRecordSchema>;

/** A double opt-in asked for and not yet confirmed: consent waits for the link. */
export const pendingOptInSchema = z.object({ formId: z.string(), text: z.string(), requestedAt: z.string() });
export type PendingOptIn = z.infer<typeof pendingOptInSchema>;

export const leadSchema = z.object({
  leadId: z.string(),
  email: z.string(),
  profile: profileSchema,
  customFields: z.record(z.string(), z.string()),
  /** Marketing email may be sent: true only with a recorded consent and no unsubscribe since (core/consent.ts). */
  consent: z.boolean(),
  /** Every consent the person gave, oldest first (the proof: when, which form, what text). */
  consentRecords: z.array(consentRecordSchema).default([]),
  /** Set when the person unsubscribed; only a new recorded consent clears it. */
  unsubscribedAt: z.string().optional(),
  pendingOptIn: pendingOptInSchema.optional(),
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
  lastSubmission: lastSubmissionSchema.optional(),
  /** The current score with its breakdown, and the recent engagement it was computed from. */
  score: scoreSchema.optional(),
  engagement: z.array(engagementEventSchema).default([]),
  /**
   * Set while the lead's workflow is parked after a step failed beyond its retries: which step,
   * the error's name and since when. An operator retries it (POST /v1/leads/{leadId}/workflow/retry).
   */
  workflow: z.object({ status: z.literal('needs_attention'), state: z.string(), error: z.string(), since: z.string() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Optimistic-locking counter: every write checks the version it read. */
  version: z.number().int().positive(),
});
export type Lead = z.infer<typeof leadSchema>;

export const leadIdSchema = z.string().regex(/^ld_[A-Za-z0-9_-]{22}$/, 'is not a lead id');

/**
 * A lead's id is an HMAC of its normalized email under a secret key (the stack's LeadIdKey): the
 * same person always maps to the same lead (and the same workflow execution name) without a
 * uniqueness index, yet nobody without the key can compute a lead id from an address.
 */
export function leadIdFor(normalizedEmail: string, key: string): string {
  if (key.length === 0) throw new Error('a lead id needs the lead-id key');
  return `ld_${createHmac('sha256', key).update(`leadflow:lead:${normalizedEmail}`).digest('base64url').slice(0, 22)}`;
}
