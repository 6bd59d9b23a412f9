import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { sequenceExecutionName, type CampaignDefinition } from '../../core/campaign';
import { durationSeconds } from '../../core/duration';
import { enrollLead, markSequenceStarted } from './campaigns-repository';

const sfn = new SFNClient({});
const env = z.object({ CAMPAIGN_SEQUENCE_ARN: z.string().min(1) }).parse(process.env);

/** What a campaign sequence execution carries from step to step (workflows/campaign-sequence.ts). */
export interface SequenceState {
  campaignId: string;
  leadId: string;
  entry: number;
  /** The step to run next (0-based). */
  step: number;
  /** How long the Wait before it lasts. */
  delaySeconds: number;
  next: 'wait' | 'end';
}

/**
 * Enrolls a lead and starts its sequence: the enrollment is written once (per allowed entry), the
 * execution is named after the campaign, lead and entry so it starts once, and the enrollment
 * records the start. A retry after any failure finds the enrollment not started and starts it.
 */
export async function enrollAndStart(campaign: CampaignDefinition, leadId: string, now: Date): Promise<boolean> {
  const enrollment = await enrollLead(campaign, leadId, now);
  if (!enrollment.enrolled) return false;
  const first = campaign.steps[0];
  if (!first) throw new Error(`campaign ${campaign.campaignId} has no steps`);
  const input: SequenceState = {
    campaignId: campaign.campaignId,
    leadId,
    entry: enrollment.entry,
    step: 0,
    delaySeconds: durationSeconds(first.delay),
    next: 'wait',
  };
  try {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: env.CAMPAIGN_SEQUENCE_ARN,
        name: sequenceExecutionName(campaign.campaignId, leadId, enrollment.entry),
        input: JSON.stringify(input),
      }),
    );
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
  await markSequenceStarted(campaign.campaignId, leadId, enrollment.entry);
  return true;
}
