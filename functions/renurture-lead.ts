import { planStep, type LifecycleStep } from '../core/lifecycle';
import { moveLead } from '../core/transitions';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { changeLead } from './shared/lead-changes';
import { observed } from './shared/observability';

/** Workflow step: a lost lead returns to nurturing after the configured delay. */
export const handler = observed(async (input: { leadId: string; executionStartedAt: string }): Promise<LifecycleStep> => {
  const lifecycleConfig = await loadLifecycleConfig();
  const { lead } = await changeLead(input.leadId, (current) => {
    if (current.stage !== 'lost') return undefined;
    const { lead: next, entry } = moveLead(
      current,
      { stage: 'nurturing', reason: 're-nurture after lost', currency: 'USD' },
      'workflow',
      new Date(),
    );
    return { lead: next, entries: [entry] };
  });
  return planStep(lead.stage, 0, lifecycleConfig, {
    executionStartedAt: input.executionStartedAt,
    now: new Date(),
    stageChangedAt: lead.stageChangedAt,
  });
});
