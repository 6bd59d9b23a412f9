import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import type { PreviousStepOutcome } from '../../core/campaign';
import { keys } from '../../core/keys';
import { documents, queryAll, tableEnv } from './table';

/**
 * What became of an earlier step's email for a lead: whether it was sent (its claim settled `sent`,
 * with SES's message id) and whether the lead's history has an `email_opened` / `email_clicked`
 * entry for that message (written by the SES events handler).
 */
export async function previousStepOutcome(leadId: string, onceKey: string): Promise<PreviousStepOutcome> {
  // The claim's key as functions/shared/lead-email.ts derives it from the once-key.
  const onceHash = createHash('sha256').update(onceKey).digest('hex').slice(0, 24);
  const { Item: claim } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.emailClaim(leadId, onceHash), ConsistentRead: true }),
  );
  const messageId =
    typeof claim?.messageId === 'string' && (claim.state === 'sent' || claim.state === undefined) ? claim.messageId : undefined;
  if (!messageId) return { sent: false, opened: false, clicked: false };
  const outcomes = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :history)',
    FilterExpression: '#type IN (:opened, :clicked) AND #data.messageId = :messageId',
    ExpressionAttributeNames: { '#type': 'type', '#data': 'data' },
    ExpressionAttributeValues: {
      ':pk': keys.lead(leadId).pk,
      ':history': keys.historyPrefix,
      ':opened': 'email_opened',
      ':clicked': 'email_clicked',
      ':messageId': messageId,
    },
    ProjectionExpression: '#type',
    ConsistentRead: true,
  });
  const found = new Set(outcomes.map((item) => String(item.type)));
  return { sent: true, opened: found.has('email_opened'), clicked: found.has('email_clicked') };
}
