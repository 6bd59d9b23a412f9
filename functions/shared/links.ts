import * as z from 'zod';
import type { Lead } from '../../core/lead';
import { CONFIRM_LINK_DAYS, openLink, sealLink, type LinkPurpose, type OpenedLink } from '../../core/link-token';
import { secretEnv, secretValue } from './secrets';

/**
 * The signed links in emails, as URLs of the public API (core/link-token.ts seals them). The
 * Consent construct sets PUBLIC_API_URL together with the LinkSigningKey's read grant.
 */
export const linkEnv = z.object({ PUBLIC_API_URL: z.url({ protocol: /^https?$/ }) });

/** Read on first use, not at load: functions that only open links (the link routes themselves) never need the URL. */
function publicApiUrl(): string {
  return linkEnv.parse(process.env).PUBLIC_API_URL.replace(/\/+$/, '');
}

const linkKey = () => secretValue(secretEnv.linkSigningKey);

/** The one-click unsubscribe URL of a marketing email (the campaign and step ride inside the token, for attribution). */
export async function unsubscribeUrl(lead: Lead, campaign?: { campaignId: string; step: number }): Promise<string> {
  const token = sealLink(await linkKey(), 'unsubscribe', { leadId: lead.leadId, email: lead.email, ...(campaign && { campaign }) });
  return `${publicApiUrl()}/v1/unsubscribe?token=${encodeURIComponent(token)}`;
}

/** The double opt-in confirmation URL for the lead's pending request, valid CONFIRM_LINK_DAYS from the request. */
export async function confirmUrl(lead: Lead, requestedAt: string): Promise<string> {
  const expiresAt = new Date(Date.parse(requestedAt) + CONFIRM_LINK_DAYS * 86_400_000);
  const token = sealLink(await linkKey(), 'confirm', { leadId: lead.leadId, email: lead.email, requestedAt, expiresAt });
  return `${publicApiUrl()}/v1/consent/confirm?token=${encodeURIComponent(token)}`;
}

export async function openLinkToken(purpose: LinkPurpose, token: string, now: Date): Promise<OpenedLink> {
  return openLink(await linkKey(), purpose, token, now);
}
