import { createHash } from 'node:crypto';
import { historyEntry } from '../../core/history';
import type { Lead } from '../../core/lead';
import { claimEmail, settleEmailClaim, type TransactItem } from './email-claims';
import { sendTemplatedEmail } from './mailer';
import { logger } from './observability';

export interface LeadEmail {
  lead: Lead;
  to: 'prospect' | { name: string; email: string };
  templateId: string;
  /** A deployed SES template used as is (a campaign's), instead of the lifecycle template `templateId`. */
  templateName?: string;
  data: Record<string, unknown>;
  /** SES message tags besides `template` and `lead` (a campaign and its step). */
  tags?: Record<string, string>;
  /** Marketing mail: the one-click unsubscribe targets (functions/shared/marketing-email.ts sets them). */
  unsubscribe?: { url: string; mailto?: string };
  /** Added to the `email_sent` / `email_suppressed` history entry (a campaign's id and step). */
  entryData?: Record<string, unknown>;
  /** Writes that land in the settlement's transaction, by how it settles (a campaign's `sent` counter). */
  alsoWrite?: { sent?: TransactItem[]; suppressed?: TransactItem[] };
  /** Identifies this email among all the lead's emails: the same key is never sent twice. */
  onceKey: string;
  actor: string;
  now: Date;
}

/**
 * Sends an email about a lead once per `onceKey`, as far as SES allows, even when the workflow
 * retries the step: claim, send, confirm.
 * - The claim (state `claimed`, its attempt counted) is written first; a claim found `sent` or
 *   `suppressed` means a previous attempt finished: nothing is sent again.
 * - SES sends it. When SES fails (throttling, an outage) the claim stays `claimed` and nothing is
 *   recorded: the step fails with EmailSendFailedError and its retry claims it again and sends it.
 *   A crash before the send (a timeout, the runtime killed) leaves it the same way.
 * - The confirm marks the claim `sent` with SES's MessageId and writes the `email_sent` entry, in
 *   one transaction retried in-process. A crash between SES's acceptance and the confirm (or a
 *   confirm that still fails) leaves the claim `claimed`, so the retry sends the email a second
 *   time: SendEmail takes no idempotency token, so this window (SES's answer plus one write, logged
 *   as `sesMs` and `confirmMs`) can be made small but not closed. Nothing else runs inside it.
 *
 * Two attempts of one step never run at once in Step Functions, except when a Lambda timed out
 * while its SES request was already on the wire (SES may still accept it), or a task timeout cut
 * a still-running function loose: then both attempts hold the claim `claimed` and may both send;
 * the first confirm wins, the other finds the claim `sent` under another MessageId, writes nothing
 * and logs the duplicate. The history keeps one `email_sent` entry.
 *
 * A recipient on the suppression list gets nothing: the claim becomes `suppressed` and the history
 * says `email_suppressed`. Returns false when nothing was sent now (already settled, or suppressed).
 */
export async function sendLeadEmailOnce(email: LeadEmail): Promise<boolean> {
  return (await sendLeadEmail(email)).status === 'sent';
}

/** How one `sendLeadEmail` ended: sent now (with SES's id), settled by an earlier attempt, or suppressed. */
export type LeadEmailOutcome = { status: 'sent'; messageId: string } | { status: 'already_settled' } | { status: 'suppressed' };

/** `sendLeadEmailOnce`, telling how it ended. */
export async function sendLeadEmail(email: LeadEmail): Promise<LeadEmailOutcome> {
  const { leadId } = email.lead;
  const onceHash = createHash('sha256').update(email.onceKey).digest('hex').slice(0, 24);
  const describe = (type: string, extra: Record<string, unknown> = {}) =>
    historyEntry(leadId, type, email.actor, email.now, {
      template: email.templateId,
      recipient: email.to === 'prospect' ? 'prospect' : 'team',
      stage: email.lead.stage,
      ...email.entryData,
      ...extra,
    });
  const attempt = await claimEmail(leadId, onceHash, email.now);
  if (attempt === undefined) return { status: 'already_settled' };
  if (attempt > 1) logger.info('email claimed again: an earlier attempt did not confirm it', { templateId: email.templateId, attempt });

  const outcome = await sendTemplatedEmail({
    to: email.to === 'prospect' ? email.lead.email : email.to.email,
    templateId: email.templateId,
    templateName: email.templateName,
    data: email.data,
    // The SES events handler reads these back: mail to the team is not the lead's own engagement.
    tags: { lead: leadId, ...(email.to !== 'prospect' && { recipient: 'team' }), ...email.tags },
    unsubscribe: email.unsubscribe,
  });
  if (outcome.status === 'suppressed') {
    await settleEmailClaim(leadId, onceHash, { state: 'suppressed' }, describe('email_suppressed'), email.alsoWrite?.suppressed);
    return { status: 'suppressed' };
  }
  // Accepted by SES and not yet confirmed: the only place a crash sends the email twice. Nothing else belongs here.
  const { messageId } = outcome;
  const sentAt = new Date().toISOString();
  const result = await settleEmailClaim(
    leadId,
    onceHash,
    { state: 'sent', messageId, sentAt },
    describe('email_sent', { messageId }),
    email.alsoWrite?.sent,
  );
  const confirmMs = performance.now() - outcome.answeredAt;
  if (result.settled) {
    logger.info('email confirmed', { templateId: email.templateId, messageId, attempt, sesMs: outcome.sesMs, confirmMs });
  } else {
    // Another attempt ran at the same time (see above), or an erasure deleted the claim meanwhile.
    logger.warn('email sent but confirmed by no one here: a concurrent attempt settled or erased its claim', {
      templateId: email.templateId,
      messageId,
      settledAs: result.found?.state ?? 'erased',
      settledMessageId: result.found?.messageId,
    });
  }
  return { status: 'sent', messageId };
}

/** The template data every lead email can use. */
export function leadEmailData(lead: Lead): Record<string, unknown> {
  const name = [lead.profile.firstName, lead.profile.lastName].filter(Boolean).join(' ');
  return {
    firstName: lead.profile.firstName ?? 'there',
    leadName: name || lead.email,
    company: lead.profile.company ?? 'your company',
    stage: lead.stage,
    ownerName: lead.owner?.name ?? 'The team',
  };
}
