import * as z from 'zod';
import { marketingRetentionEmails, retentionEmails } from '../core/email-templates';
import { NotFoundError } from '../core/errors';
import { playbookFor } from '../core/lifecycle';
import { leadEmailData, sendLeadEmailOnce } from './shared/lead-email';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { sendMarketingEmailRecorded } from './shared/marketing-email';
import { getLead } from './shared/leads-repository';
import { observed } from './shared/observability';

const inputSchema = z.object({ leadId: z.string(), email: z.enum(retentionEmails) });

/**
 * Workflow step after a win: one retention email, once. The thank-you is transactional; the
 * check-in, the survey and the upsell/referral ask are marketing (consent and unsubscribe).
 */
export const handler = observed(async (input: unknown): Promise<{ sent: boolean }> => {
  const lifecycleConfig = await loadLifecycleConfig();
  const { leadId, email } = inputSchema.parse(input);
  const lead = await getLead(leadId, true);
  if (!lead) throw new NotFoundError('there is no such lead');
  const message = {
    lead,
    templateId: email,
    data: { ...leadEmailData(lead), playbook: playbookFor(lifecycleConfig, 'won') },
    onceKey: `${lead.deal?.wonAt ?? lead.stageChangedAt}:retention:${email}`,
    actor: 'workflow',
    now: new Date(),
  };
  if ((marketingRetentionEmails as readonly string[]).includes(email)) {
    return { sent: (await sendMarketingEmailRecorded(message)).status === 'sent' };
  }
  return { sent: await sendLeadEmailOnce({ ...message, to: 'prospect' }) };
});
