import { createHash } from 'node:crypto';
import * as z from 'zod';
import { openSecret, sealSecret } from './secret-box';

/**
 * Signed links in emails (`?token=`): the unsubscribe link of a marketing email and the double
 * opt-in confirmation link. A token is its claims sealed with AES-256-GCM (core/secret-box.ts)
 * under the LinkSigningKey, with the purpose as associated data: it reveals nothing readable (no
 * lead id, no address), cannot be forged or altered without the key, and a token made for one
 * purpose does not open as another. It is bound to its lead and to the lead's address (a hash),
 * so it never acts on another lead, nor on a later lead of another address under the same id.
 */
export const linkPurposes = ['unsubscribe', 'confirm'] as const;
export type LinkPurpose = (typeof linkPurposes)[number];

/** How long a double opt-in confirmation link works. Unsubscribe links do not expire (RFC 8058: they must keep working). */
export const CONFIRM_LINK_DAYS = 7;

const claimsSchema = z.object({
  /** The lead. */
  l: z.string().min(1),
  /** A hash of the lead's address when the link was made. */
  h: z.string().min(1),
  /** Expiry, in Unix seconds. */
  x: z.number().int().optional(),
  /** Unsubscribe: the campaign and step the email was for (attribution). */
  c: z.string().optional(),
  s: z.number().int().optional(),
  /** Confirm: the opt-in request the link answers (its requestedAt). */
  r: z.string().optional(),
});

export interface LinkClaims {
  leadId: string;
  /** The address the link was sent to (only its hash goes into the token). */
  email: string;
  expiresAt?: Date;
  campaign?: { campaignId: string; step: number };
  requestedAt?: string;
}

/** What an opened token tells: the lead, a hash of its address, and the purpose's details. */
export interface OpenedLink {
  leadId: string;
  emailHash: string;
  campaign?: { campaignId: string; step: number };
  requestedAt?: string;
}

export class InvalidLinkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidLinkError';
  }
}

export function emailHash(email: string): string {
  return createHash('sha256').update(`leadflow:link:${email.trim().toLowerCase()}`).digest('base64url').slice(0, 22);
}

function associatedData(purpose: LinkPurpose): string {
  return `leadflow:link:${purpose}`;
}

export function sealLink(key: string, purpose: LinkPurpose, claims: LinkClaims): string {
  const body: z.infer<typeof claimsSchema> = {
    l: claims.leadId,
    h: emailHash(claims.email),
    ...(claims.expiresAt && { x: Math.floor(claims.expiresAt.getTime() / 1000) }),
    ...(claims.campaign && { c: claims.campaign.campaignId, s: claims.campaign.step }),
    ...(claims.requestedAt && { r: claims.requestedAt }),
  };
  return sealSecret(key, associatedData(purpose), JSON.stringify(body));
}

/** Opens a token made for `purpose`; InvalidLinkError if it is forged, altered, of another purpose or expired. */
export function openLink(key: string, purpose: LinkPurpose, token: string, now: Date): OpenedLink {
  let claims: z.infer<typeof claimsSchema>;
  try {
    claims = claimsSchema.parse(JSON.parse(openSecret(key, associatedData(purpose), token)));
  } catch (error) {
    throw new InvalidLinkError('the link is not valid', { cause: error });
  }
  if (claims.x !== undefined && claims.x * 1000 < now.getTime()) throw new InvalidLinkError('the link has expired');
  return {
    leadId: claims.l,
    emailHash: claims.h,
    ...(claims.c !== undefined && claims.s !== undefined && { campaign: { campaignId: claims.c, step: claims.s } }),
    ...(claims.r !== undefined && { requestedAt: claims.r }),
  };
}
