import * as z from 'zod';
import { campaignStepOnceKey, stepConditionHolds, whyStop } from '../core/campaign';
import type { CampaignCounter } from '../core/campaign-stats';
import { durationSeconds } from '../core/duration';
import { marketingTemplateData } from '../core/marketing-templates';
import { campaignCounterUpdate } from './shared/campaign-stats';
import { previousStepOutcome } from './shared/campaign-outcomes';
import type { SequenceState } from './shared/campaign-sequences';
import { countOnce, getCampaign } from './shared/campaigns-repository';
import { getEmailTemplate } from './shared/email-templates-repository';
import { getLead } from './shared/leads-repository';
import { sendMarketingEmail } from './shared/marketing-email';
import { logger, observed } from './shared/observability';
import { takeSendToken } from './shared/send-rate';

const env = z.object({ CAMPAIGN_SEND_RATE: z.coerce.number().int().positive() }).parse(process.env);

/** A paused campaign's pending step looks again this often (so a resume takes effect within it). */
export const PAUSED_RECHECK_SECONDS = 15 * 60;

export class CampaignTemplateMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CampaignTemplateMissingError';
  }
}

/**
 * One step of one lead's campaign sequence, after its delay: holds while the campaign is paused,
 * ends when it is cancelled or the lead's sequence must stop (counted once as `skipped_<reason>`),
 * skips a step whose condition does not hold (`skipped_condition`), else sends the step's email
 * once (its once-key) with the `sent` counter in the same transaction. Answers the next state.
 */
export const handler = observed(async (state: SequenceState): Promise<SequenceState> => {
  const now = new Date();
  const end: SequenceState = { ...state, next: 'end' };
  const campaign = await getCampaign(state.campaignId);
  if (!campaign || campaign.status === 'cancelled') return end;
  if (campaign.status !== 'active') return { ...state, delaySeconds: PAUSED_RECHECK_SECONDS, next: 'wait' };
  const step = campaign.steps[state.step];
  if (!step) return end;
  const lead = await getLead(state.leadId, true);
  // An erased lead: nothing to send, nothing to count.
  if (!lead) return end;
  const mark = String(state.step);
  const stop = async (counter: CampaignCounter) => {
    await countOnce(state.campaignId, state.leadId, state.entry, mark, counter);
    return end;
  };
  const reason = whyStop(lead, campaign);
  if (reason) return stop(`skipped_${reason}`);

  const following = campaign.steps[state.step + 1];
  const onward: SequenceState = following
    ? { ...state, step: state.step + 1, delaySeconds: durationSeconds(following.delay), next: 'wait' }
    : end;
  const previous =
    state.step > 0
      ? await previousStepOutcome(state.leadId, campaignStepOnceKey(state.campaignId, state.step - 1, state.entry))
      : undefined;
  if (!stepConditionHolds(step.condition, previous, lead)) {
    await countOnce(state.campaignId, state.leadId, state.entry, mark, 'skipped_condition');
    return onward;
  }

  const template = await getEmailTemplate(step.templateId);
  // Loud: a step whose template was deleted cannot be sent, and nobody should think it was.
  if (!template)
    throw new CampaignTemplateMissingError(`campaign ${state.campaignId} step ${state.step}: template ${step.templateId} is missing`);
  await takeSendToken(env.CAMPAIGN_SEND_RATE);
  const outcome = await sendMarketingEmail({
    lead,
    templateId: step.templateId,
    templateName: template.sesTemplateName,
    data: marketingTemplateData(lead, template.fallbacks),
    campaign: { campaignId: state.campaignId, step: state.step },
    onceKey: campaignStepOnceKey(state.campaignId, state.step, state.entry),
    alsoWrite: {
      sent: [campaignCounterUpdate(state.campaignId, 'sent', state.leadId)],
      suppressed: [campaignCounterUpdate(state.campaignId, 'skipped_suppressed', state.leadId)],
    },
    actor: `campaign:${state.campaignId}`,
    now,
  });
  if (outcome.status === 'skipped') return stop(`skipped_${outcome.reason}`);
  if (outcome.status === 'suppressed') return end;
  logger.info('campaign step done', { campaignId: state.campaignId, step: state.step, status: outcome.status });
  return onward;
});
