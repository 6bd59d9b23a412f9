import type { Lead } from '../../core/lead';
import { sendLeadEmail, type LeadEmail, type LeadEmailOutcome } from './lead-email';

/** Why a marketing email was not sent to a lead. */
export type MarketingSkipReason = 'no_consent' | 'unsubscribed';

export type MarketingEmail = Omit<LeadEmail, 'to' | 'unsubscribe'> & {
  /** Set for a campaign's step: tagged on the message and recorded on its history entry. */
  campaign?: { campaignId: string; step: number };
};

export type MarketingOutcome = LeadEmailOutcome | { status: 'skipped'; reason: MarketingSkipReason };

/**
 * Sends a marketing email to a lead (a campaign step, the lifecycle's prospect emails), once per
 * `onceKey`: only with recorded consent, never to a suppressed address.
 */
export async function sendMarketingEmail(email: MarketingEmail): Promise<MarketingOutcome> {
  const blocked = marketingBlock(email.lead);
  if (blocked) return { status: 'skipped', reason: blocked };
  const campaign = email.campaign;
  return sendLeadEmail({
    ...email,
    to: 'prospect',
    tags: { ...email.tags, ...(campaign && { campaign: campaign.campaignId, step: String(campaign.step) }) },
    entryData: { ...email.entryData, marketing: true, ...(campaign && { campaignId: campaign.campaignId, step: campaign.step }) },
  });
}

function marketingBlock(lead: Lead): MarketingSkipReason | undefined {
  return lead.consent ? undefined : 'no_consent';
}
