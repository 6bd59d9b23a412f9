import * as z from 'zod';
import { retentionEmails } from '../core/email-templates';
import { NotFoundError } from '../core/errors';
import { playbookFor } from '../core/lifecycle';
import { leadEmailData, sendLeadEmailOnce } from './shared/lead-email';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { getLead } from './shared/leads-repository';
import { observed } from './shared/observability';

const inputSchema = z.object({ leadId: z.string(), email: z.enum(retentionEmails) });

/** Workflow step after a win: one retention email (thank-you, check-in, survey, upsell/referral), once. */
export const handler = observed(async (input: unknown): Promise<{ sent: boolean }> => {
  const lifecycleConfig = await loadLifecycleConfig();
  const { leadId, email } = inputSchema.parse(input);
  const lead = await getLead(leadId, true);
  if (!lead) throw new NotFoundError('there is no such lead');
  const sent = await sendLeadEmailOnce({
    lead,
    to: 'prospect',
    templateId: email,
    data: { ...leadEmailData(lead), playbook: playbookFor(lifecycleConfig, 'won') },
    onceKey: `${lead.deal?.wonAt ?? lead.stageChangedAt}:retention:${email}`,
    actor: 'workflow',
    now: new Date(),
  });
  return { sent };
});
