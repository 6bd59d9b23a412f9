import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { planCapture, touchEntries, type CaptureExtras } from '../core/capture';
import { leadIdFor, type Lead } from '../core/lead';
import { executionArnOf, lifecycleExecutionName } from '../core/lifecycle';
import { normalizeEmail, type Submission } from '../core/submission';
import { countMetric } from './shared/business-metrics';
import { foldSubmission } from './shared/fold-submission';
import { SubmissionAppliedError, appendHistory, saveLeadApplying } from './shared/leads-repository';
import { leadImages } from './shared/lead-images';
import { correlate, logger, observed } from './shared/observability';
import { getActiveRules } from './shared/rules-repository';
import { secretEnv, secretValue } from './shared/secrets';
import { pendingSubmissionSchema } from './shared/submissions-repository';

const env = z.object({ STATE_MACHINE_ARN: z.string().min(1) }).parse(process.env);
const sfn = new SFNClient({});

/**
 * Table stream consumer for lead and submission items. A capture is one durable write; what
 * follows from it happens here, retried by the stream until it succeeds: a public submission is
 * folded into its lead; a lead write gets its `captured`/`resubmitted` history entries, and a new
 * lead the start of its lifecycle execution, named after the lead so it can only ever start once.
 */
export const handler = observed(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  for (const record of event.Records) {
    try {
      await processRecord(record);
    } catch (error) {
      // Records of one lead arrive in order: retry from the first failure.
      logger.error('lead change not processed; the stream retries from it', {
        leadId: leadIdOf(record),
        error: { name: (error as Error).name, message: (error as Error).message },
      });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
});

async function processRecord(record: DynamoDBRecord): Promise<void> {
  if (record.dynamodb?.Keys?.sk?.S === 'SUBMISSION') {
    await applySubmission(record);
    return;
  }
  const images = leadImages(record);
  const current = images?.after;
  if (!current) return;
  // Conditional: a redelivered record must not rewrite (and so re-index) an entry already written.
  for (const entry of touchEntries(images.before, current)) await appendHistory(entry, { onlyOnce: true });
  if (record.eventName !== 'INSERT') return;
  if (await startLifecycle(current, lifecycleExecutionName(current.leadId))) return;
  // The name is taken: by this lead (a redelivered record), or by an erased lead of the same address.
  if (await startedBefore(current)) await startLifecycle(current, lifecycleExecutionName(current.leadId, current.createdAt));
}

/** Starts the lead's lifecycle execution; false when one of that name already exists. */
async function startLifecycle(lead: Lead, name: string): Promise<boolean> {
  try {
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn: env.STATE_MACHINE_ARN, name, input: JSON.stringify({ leadId: lead.leadId }) }),
    );
    return true;
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    return false;
  }
}

/**
 * Folds an accepted public submission into its lead with the capture logic, under the policy its
 * form had when it was received; the lead write and the submission's applied marker are one
 * transaction, so a redelivered record changes nothing. The lead's own stream record then brings
 * its history entry and workflow.
 */
async function applySubmission(record: DynamoDBRecord): Promise<void> {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return;
  const pending = pendingSubmissionSchema.parse(unmarshall(image as Record<string, AttributeValue>));
  if (pending.appliedAt || !pending.submission) return;
  // Validated by capture before it stored them (only capture writes submission items).
  const submission = pending.submission as unknown as Submission;
  const extras = (pending.extras ?? {}) as CaptureExtras;
  const leadId = leadIdFor(normalizeEmail(submission.email), await secretValue(secretEnv.leadIdKey));
  correlate({ leadId });
  const rules = await getActiveRules();
  const receivedAt = new Date(pending.receivedAt);
  // The form's consent settings as they were when the submission was received.
  const formSettings = {
    formId: pending.formId,
    ...(pending.consent && { consentText: pending.consent.text, doubleOptIn: pending.consent.doubleOptIn }),
  };
  try {
    const plan = await foldSubmission(
      leadId,
      (existing) =>
        planCapture(existing, submission, formSettings, receivedAt, rules, extras, {
          leadId,
          policy: pending.policy,
          submissionId: pending.submissionId,
        }),
      ({ lead }) => saveLeadApplying(lead, pending.submissionId, new Date(), pending.keepSeconds),
    );
    countMetric(plan.duplicate ? 'DuplicateSubmissions' : 'LeadsCaptured');
    logger.info(plan.duplicate ? 'known lead resubmitted' : 'lead captured', {
      formId: pending.formId,
      submissionId: pending.submissionId,
    });
  } catch (error) {
    if (!(error instanceof SubmissionAppliedError)) throw error;
  }
}

/** The execution named after the lead started before the lead was created: it was an erased lead's. */
async function startedBefore(lead: Lead): Promise<boolean> {
  const executionArn = executionArnOf(env.STATE_MACHINE_ARN, lifecycleExecutionName(lead.leadId));
  const { startDate } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  return startDate !== undefined && startDate.getTime() < Date.parse(lead.createdAt);
}

/** The lead's id from a record's keys (the images may be absent or unparseable). */
function leadIdOf(record: DynamoDBRecord): string | undefined {
  const pk = record.dynamodb?.Keys?.pk?.S;
  return pk?.startsWith('LEAD#') ? pk.slice('LEAD#'.length) : undefined;
}
