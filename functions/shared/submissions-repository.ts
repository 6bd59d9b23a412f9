import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { keys } from '../../core/keys';
import { updatePolicies } from '../../core/lead';
import { replay } from '../../core/idempotency';
import { documents, tableEnv } from './table';

/**
 * A public submission accepted but not yet folded into its lead: capture stores it with one write
 * and answers at once, alike for every address; the table stream's consumer applies it (and then
 * drops what it carried, leaving a marker that expires).
 */
export const pendingSubmissionSchema = z.object({
  submissionId: z.string(),
  formId: z.string(),
  policy: z.enum(updatePolicies),
  /** The form's consent settings when it was received (core/consent.ts): what a ticked consent box records. */
  consent: z.object({ text: z.string(), doubleOptIn: z.boolean() }).optional(),
  /** The validated submission and the delivery's extras (core/capture.ts CaptureExtras), until applied. */
  submission: z.record(z.string(), z.unknown()).optional(),
  extras: z.record(z.string(), z.unknown()).optional(),
  receivedAt: z.string(),
  /** Set with an Idempotency-Key or a provider event id: a retry must be the same request. */
  requestHash: z.string().optional(),
  /** How long the applied marker is kept (it answers retries with the same key). */
  keepSeconds: z.number().int().positive(),
  appliedAt: z.string().optional(),
});
export type PendingSubmission = z.infer<typeof pendingSubmissionSchema>;

/**
 * Stores a submission with one conditional put. Under an id fixed by an idempotency key, a
 * retry finds it stored: the same request is answered as before, a different one is refused (422).
 */
export async function acceptSubmission(pending: PendingSubmission): Promise<void> {
  try {
    await documents.send(
      new PutCommand({
        TableName: tableEnv.TABLE_NAME,
        Item: { ...keys.submission(pending.submissionId), ...pending },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const { Item } = await documents.send(
      new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.submission(pending.submissionId), ConsistentRead: true }),
    );
    const stored = Item ? pendingSubmissionSchema.parse(Item) : undefined;
    // Gone between the two calls (expired): the retry was accepted once already.
    if (!stored) return;
    replay({ requestHash: stored.requestHash ?? '', status: 202, body: {} }, pending.requestHash ?? '');
  }
}
