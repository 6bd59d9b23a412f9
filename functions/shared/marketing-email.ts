import { createHash } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { historyEntry } from '../../core/history';
import { keys } from '../../core/keys';
import { marketingBlock } from '../../core/consent';
import { sendLeadEmail, type LeadEmail, type LeadEmailOutcome } from './lead-email';
import { historyItem } from './leads-repository';
import { unsubscribeUrl } from './links';
import { documents, tableEnv } from './table';

/** Why a marketing email was not sent to a lead. */
export type MarketingSkipReason = 'no_consent' | 'unsubscribed';

export type MarketingEmail = Omit<LeadEmail, 'to' | 'unsubscribe'> & {
  /** Set for a campaign's step: tagged on the message and recorded on its history entry. */
  campaign?: { campaignId: string; step: number };
};

export type MarketingOutcome = LeadEmailOutcome | { status: 'skipped'; reason: MarketingSkipReason };

/** CDK context `unsubscribeMailto` (checked at synth by infra/constructs/consent.ts), set as UNSUBSCRIBE_MAILTO. */
function unsubscribeMailto(): string | undefined {
  return process.env.UNSUBSCRIBE_MAILTO || undefined;
}

/**
 * Sends a marketing email to a lead (a campaign step, the lifecycle's prospect emails), once per
 * `onceKey`: only with recorded consent and no unsubscribe since, never to a suppressed address.
 * It carries one-click unsubscribe (RFC 8058): the `List-Unsubscribe` and `List-Unsubscribe-Post`
 * headers, and `unsubscribeUrl` in the template data for the link in the body (every marketing
 * template shows `{{unsubscribeUrl}}` in its HTML and its text).
 */
export async function sendMarketingEmail(email: MarketingEmail): Promise<MarketingOutcome> {
  const blocked = marketingBlock(email.lead);
  if (blocked) return { status: 'skipped', reason: blocked };
  const campaign = email.campaign;
  const url = await unsubscribeUrl(email.lead, campaign);
  const mailto = unsubscribeMailto();
  return sendLeadEmail({
    ...email,
    to: 'prospect',
    data: { ...email.data, unsubscribeUrl: url },
    unsubscribe: { url, ...(mailto && { mailto }) },
    tags: { ...email.tags, ...(campaign && { campaign: campaign.campaignId, step: String(campaign.step) }) },
    entryData: { ...email.entryData, marketing: true, ...(campaign && { campaignId: campaign.campaignId, step: campaign.step }) },
  });
}

/**
 * `sendMarketingEmail`, with a skip written to the lead's history as `email_skipped {reason}`, for
 * senders without counters of their own (the lifecycle; campaigns count skips in their stats).
 * Once per `onceKey`: the entry lands in one transaction with a marker beside the email claims.
 */
export async function sendMarketingEmailRecorded(email: MarketingEmail): Promise<MarketingOutcome> {
  const outcome = await sendMarketingEmail(email);
  if (outcome.status !== 'skipped') return outcome;
  const { leadId } = email.lead;
  const entry = historyEntry(leadId, 'email_skipped', email.actor, email.now, {
    template: email.templateId,
    recipient: 'prospect',
    stage: email.lead.stage,
    ...email.entryData,
    marketing: true,
    reason: outcome.reason,
  });
  const skipHash = createHash('sha256').update(`skipped:${email.onceKey}`).digest('hex').slice(0, 24);
  try {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableEnv.TABLE_NAME,
              Item: { ...keys.emailClaim(leadId, skipHash), skippedAt: entry.at },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: tableEnv.TABLE_NAME, Item: historyItem(entry) } },
        ],
      }),
    );
  } catch (error) {
    // Recorded by an earlier attempt.
    if (!(error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed')) throw error;
  }
  return outcome;
}
