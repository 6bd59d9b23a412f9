import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { handoffMove, resumeStage, scoreChanged, scoreSummary, ownerToTell } from '../core/handoff';
import type { Lead } from '../core/lead';
import { planStep, playbookFor } from '../core/lifecycle';
import { moveLead } from '../core/transitions';
import { countMetric } from './shared/business-metrics';
import { changeLead } from './shared/lead-changes';
import { leadEmailData, sendLeadEmailOnce } from './shared/lead-email';
import { leadImages } from './shared/lead-images';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { correlate, logger, observed } from './shared/observability';
import { getActiveRules } from './shared/rules-repository';
import { getWait, resumeWorkflow } from './shared/workflow';

/**
 * Follows stored lead changes (the table stream): resumes the lead's workflow after a stage move,
 * hands nurtured leads whose score now qualifies to sales, tells a lead's new owner. Each follows
 * from the durable write, whatever made it (an API request, a workflow step, a rescore), and is
 * retried by the stream until it succeeds; each is idempotent, so a redelivered record is harmless.
 */
export const handler = observed(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  for (const record of event.Records) {
    try {
      await followRecord(record);
    } catch (error) {
      // Records of one lead arrive in order: retry from the first failure.
      logger.error('lead change not followed; the stream retries from it', {
        error: { name: (error as Error).name, message: (error as Error).message },
      });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
});

async function followRecord(record: DynamoDBRecord): Promise<void> {
  const images = leadImages(record);
  const after = images?.after;
  if (!after) return;
  const before = images.before;
  correlate({ leadId: after.leadId });
  await resumeAfterMove(before, after);
  await tellNewOwner(before, after);
  await handOffToSales(before, after);
}

/** A stored stage move resumes the workflow waiting on the lead (a used or expired token is fine). */
async function resumeAfterMove(before: Lead | undefined, after: Lead): Promise<void> {
  if (!before || before.stage === after.stage) return;
  const wait = await getWait(after.leadId);
  const stage = resumeStage(before, after, wait);
  if (!stage || !wait?.taskToken) return;
  // Planned with the waiting execution's age, so a wait that would outlive it hands over instead.
  const clock = { executionStartedAt: wait.executionStartedAt, now: new Date(), stageChangedAt: after.stageChangedAt };
  const resumed = await resumeWorkflow(wait.taskToken, planStep(stage, 0, await loadLifecycleConfig(), clock));
  logger.info(resumed ? 'workflow resumed after a move' : 'the wait had ended; the workflow re-reads the stage', { stage });
}

/** The lead's new owner gets the lead, its score breakdown and the qualified playbook, once per assignment. */
async function tellNewOwner(before: Lead | undefined, after: Lead): Promise<void> {
  const notice = ownerToTell(before, after);
  if (!notice) return;
  const config = await loadLifecycleConfig();
  await sendLeadEmailOnce({
    lead: after,
    to: notice.owner,
    templateId: 'owner-assigned',
    data: { ...leadEmailData(after), ownerName: notice.owner.name, ...scoreSummary(after), playbook: playbookFor(config, 'qualified') },
    onceKey: notice.onceKey,
    actor: 'handoff',
    now: new Date(),
  });
}

/** A nurtured lead whose new score meets the active rules' qualify decision moves to qualified (its owner in the same write). */
async function handOffToSales(before: Lead | undefined, after: Lead): Promise<void> {
  if (after.stage !== 'nurturing' || !scoreChanged(before, after)) return;
  const rules = await getActiveRules();
  if (!handoffMove(after, rules)) return;
  const { change } = await changeLead(after.leadId, (current) => {
    const move = handoffMove(current, rules);
    if (!move) return undefined;
    const transition = moveLead(current, move, 'handoff', new Date());
    return { lead: transition.lead, entries: [transition.entry] };
  });
  if (change) {
    countMetric('LeadsHandedOff');
    logger.info('nurtured lead handed to sales', { rulesVersion: rules.version });
  }
}
