import { historyEntry } from '../core/history';
import { planStep, playbookFor, type FollowUpAction, type LifecycleConfig, type LifecycleStep } from '../core/lifecycle';
import type { Lead } from '../core/lead';
import { NotFoundError } from '../core/errors';
import { leadEmailData, sendLeadEmailOnce } from './shared/lead-email';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { appendHistory, getLead } from './shared/leads-repository';
import { observed } from './shared/observability';

/**
 * Workflow step after a rep's wait timed out: sends the stage's timed follow-ups (owner reminder,
 * manager escalation, prospect check-in, each with the stage's playbook) and returns the next
 * wait. If the lead moved meanwhile, nothing is sent and the workflow continues from the new stage.
 */
export const handler = observed(async (input: { leadId: string; step: LifecycleStep }): Promise<LifecycleStep> => {
  const lifecycleConfig = await loadLifecycleConfig();
  const lead = await getLead(input.leadId, true);
  if (!lead) throw new NotFoundError('there is no such lead');
  if (lead.stage !== input.step.stage) return planStep(lead.stage, 0, lifecycleConfig);

  const now = new Date();
  const waited = humanDuration(now.getTime() - Date.parse(lead.stageChangedAt));
  for (const action of input.step.onTimeout) {
    await followUp(lifecycleConfig, action, lead, input.step.followUpsSent, waited, now);
  }
  return planStep(lead.stage, input.step.followUpsSent + 1, lifecycleConfig);
});

async function followUp(
  lifecycleConfig: LifecycleConfig,
  action: FollowUpAction,
  lead: Lead,
  followUpsSent: number,
  waited: string,
  now: Date,
): Promise<void> {
  const data = {
    ...leadEmailData(lead),
    waited,
    managerName: lifecycleConfig.manager.name,
    playbook: playbookFor(lifecycleConfig, lead.stage, lead.objection?.type),
  };
  // One email per action per stage visit and follow-up round, however often the step is retried.
  const onceKey = `${lead.stageChangedAt}:${lead.stage}:${followUpsSent}:${action}`;
  const owner = lead.owner ?? lifecycleConfig.manager;
  switch (action) {
    case 'remind-owner':
      await sendLeadEmailOnce({ lead, to: owner, templateId: 'owner-reminder', data, onceKey, actor: 'workflow', now });
      return;
    case 'escalate-manager':
      await sendLeadEmailOnce({
        lead,
        to: lifecycleConfig.manager,
        templateId: 'manager-escalation',
        data,
        onceKey,
        actor: 'workflow',
        now,
      });
      return;
    case 'check-in-prospect':
      await sendLeadEmailOnce({ lead, to: 'prospect', templateId: 'prospect-check-in', data, onceKey, actor: 'workflow', now });
      return;
    case 'nurture-recheck':
      // Nurturing leads wait for campaigns and engagement; the timer only leaves a trace.
      await appendHistory(historyEntry(lead.leadId, 'timer_fired', 'workflow', now, { stage: lead.stage, action }));
      return;
  }
}

function humanDuration(ms: number): string {
  const hours = Math.max(0, Math.round(ms / 3_600_000));
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'}`;
  return `${Math.round(hours / 24)} days`;
}
