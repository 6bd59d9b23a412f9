import * as z from 'zod';

/**
 * The claim of one email about a lead (claim -> send -> confirm), an item in the lead's partition
 * (core/keys.ts emailClaim):
 * - `claimed`: an attempt is sending it, or one stopped before confirming (crashed before the send,
 *   SES failed, or it crashed between SES's acceptance and the confirm). The next attempt sends it.
 * - `sent`: SES accepted it (`messageId`) and the `email_sent` history entry was written with it.
 * - `suppressed`: the recipient is on the suppression list; `email_suppressed` was written instead.
 * A claim with no state was written before claims had one, together with its `email_sent` entry:
 * it counts as sent.
 */
export const emailClaimSchema = z.object({
  state: z.enum(['claimed', 'sent', 'suppressed']).optional(),
  claimedAt: z.string().optional(),
  /** How many attempts claimed it: more than one means an earlier attempt failed or crashed. */
  attempts: z.number().int().optional(),
  messageId: z.string().optional(),
  sentAt: z.string().optional(),
});
export type EmailClaim = z.infer<typeof emailClaimSchema>;

/** The only attributes the email steps may write on an item by updating it (their grant allows no others). */
export const emailClaimAttributes = ['state', 'claimedAt', 'attempts', 'messageId', 'sentAt'] as const satisfies ReadonlyArray<
  keyof EmailClaim
>;
