import { historyEntry } from '../core/history';
import { planStep, playbookFor, type FollowUpAction, type LifecycleConfig, type LifecycleStep, type StepClock } from '../core/lifecycle';
import type { Lead } from '../core/lead';
import { NotFoundError } from '../core/errors';
import { moveLead } from '../core/transitions';
import { leadEmailData, sendLeadEmailOnce } from './shared/lead-email';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { sendMarketingEmailRecorded } from './shared/marketing-email';
import { changeLead } from './shared/lead-changes';
import { appendHistory, getLead } from './shared/leads-repository';
import { observed } from './shared/observability';

interface FollowUpInput {
  leadId: string;
  executionStartedAt: string;
  step: LifecycleStep;
}

/**
 * Workflow step after a rep's wait timed out: sends the stage's timed follow-ups (owner reminder,
 * manager escalation, prospect check-in, each with the stage's playbook), recycles a qualified
 * lead nobody worked, and returns the next wait. If the lead moved meanwhile, nothing is sent
 * and the workflow continues from the new stage.
 */
export const handler = observed(async (input: FollowUpInput): Promise<LifecycleStep> => {
  const config = await loadLifecycleConfig();
  const clockFor = (lead: Lead): StepClock => ({
    executionStartedAt: input.executionStartedAt,
    now: new Date(),
    stageChangedAt: lead.stageChangedAt,
  });
  let lead = await getLead(input.leadId, true);
  if (!lead) throw new NotFoundError('there is no such lead');
  if (lead.stage !== input.step.stage) return planStep(lead.stage, 0, config, clockFor(lead));

  const now = new Date();
  const waited = humanDuration(now.getTime() - Date.parse(lead.stageChangedAt));
  for (const action of input.step.onTimeout) {
    if (action === 'recycle-to-nurturing') {
      lead = await recycle(lead, config, waited, now);
      if (lead.stage !== input.step.stage) return planStep(lead.stage, 0, config, clockFor(lead));
      continue;
    }
    await followUp(config, action, lead, input.step.followUpsSent, waited, now);
  }
  return planStep(lead.stage, input.step.followUpsSent + 1, config, clockFor(lead));
});

/** A qualified lead nobody moved for the configured time goes back to marketing, with the reason on its history. */
async function recycle(lead: Lead, config: LifecycleConfig, waited: string, now: Date): Promise<Lead> {
  const { lead: recycled } = await changeLead(lead.leadId, (current) => {
    // Only the visit this timer was set for: a lead moved (or re-qualified) since is left alone.
    if (current.stage !== 'qualified' || current.stageChangedAt !== lead.stageChangedAt) return undefined;
    const reason = `recycled: no sales activity in qualified for ${waited} (recycleQualifiedAfter ${config.recycleQualifiedAfter})`;
    const { lead: next, entry } = moveLead(current, { stage: 'nurturing', reason, currency: 'USD' }, 'workflow', now);
    return { lead: next, entries: [entry] };
  });
  return recycled;
}

async function followUp(
  config: LifecycleConfig,
  action: Exclude<FollowUpAction, 'recycle-to-nurturing'>,
  lead: Lead,
  followUpsSent: number,
  waited: string,
  now: Date,
): Promise<void> {
  const data = {
    ...leadEmailData(lead),
    waited,
    managerName: config.manager.name,
    playbook: playbookFor(config, lead.stage, lead.objection?.type),
  };
  // One email per action per stage visit and follow-up round, however often the step is retried.
  const onceKey = `${lead.stageChangedAt}:${lead.stage}:${followUpsSent}:${action}`;
  const owner = lead.owner ?? config.manager;
  switch (action) {
    case 'remind-owner':
      await sendLeadEmailOnce({ lead, to: owner, templateId: 'owner-reminder', data, onceKey, actor: 'workflow', now });
      return;
    case 'escalate-manager':
      await sendLeadEmailOnce({ lead, to: config.manager, templateId: 'manager-escalation', data, onceKey, actor: 'workflow', now });
      return;
    case 'check-in-prospect':
      // To the prospect, unasked: marketing (consent required, one-click unsubscribe).
      await sendMarketingEmailRecorded({ lead, templateId: 'prospect-check-in', data, onceKey, actor: 'workflow', now });
      return;
    case 'nurture-recheck':
      // Nurturing leads wait for campaigns and engagement (a qualifying score hands them to sales
      // as it changes); the timer only leaves a trace.
      await appendHistory(historyEntry(lead.leadId, 'timer_fired', 'workflow', now, { stage: lead.stage, action }));
      return;
  }
}

function humanDuration(ms: number): string {
  const hours = Math.max(0, Math.round(ms / 3_600_000));
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'}`;
  return `${Math.round(hours / 24)} days`;
}
