import { createHash } from 'node:crypto';
import { historyEntry } from '../../core/history';
import type { Lead } from '../../core/lead';
import { claimOnce, releaseClaim, replaceClaimEntry } from './leads-repository';
import { sendTemplatedEmail } from './mailer';

export interface LeadEmail {
  lead: Lead;
  to: 'prospect' | { name: string; email: string };
  templateId: string;
  data: Record<string, unknown>;
  /** Identifies this email among all the lead's emails: the same key is never sent twice. */
  onceKey: string;
  actor: string;
  now: Date;
}

/**
 * Sends an email about a lead at most once per `onceKey`, even when the workflow retries the
 * step: the send is claimed first together with its history entry, released if SES fails so
 * that the retry sends it. A recipient on the suppression list gets nothing: the history says
 * `email_suppressed` instead. Returns false when nothing was sent (already sent, or suppressed).
 */
export async function sendLeadEmailOnce(email: LeadEmail): Promise<boolean> {
  const onceHash = createHash('sha256').update(email.onceKey).digest('hex').slice(0, 24);
  const describe = (type: string) =>
    historyEntry(email.lead.leadId, type, email.actor, email.now, {
      template: email.templateId,
      recipient: email.to === 'prospect' ? 'prospect' : 'team',
      stage: email.lead.stage,
    });
  const entry = describe('email_sent');
  if (!(await claimOnce(email.lead.leadId, onceHash, entry))) return false;
  try {
    const outcome = await sendTemplatedEmail({
      to: email.to === 'prospect' ? email.lead.email : email.to.email,
      templateId: email.templateId,
      data: email.data,
    });
    if (outcome.status === 'sent') return true;
    // The claim stays: a retried step must not try again.
    await replaceClaimEntry(entry, describe('email_suppressed'));
    return false;
  } catch (error) {
    await releaseClaim(email.lead.leadId, onceHash, entry);
    throw error;
  }
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
