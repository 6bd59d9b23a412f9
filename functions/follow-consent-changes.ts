import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { newConsentRecord, newOptInRequest } from '../core/consent';
import { leadEmailData, sendLeadEmail } from './shared/lead-email';
import { confirmUrl } from './shared/links';
import { leadImages } from './shared/lead-images';
import { correlate, logger, observed } from './shared/observability';
import { liftUnsubscribe } from './shared/suppression-list';

/**
 * Table stream consumer for lead writes, for what a consent change brings: a new double opt-in
 * request gets its confirmation email (once per request: transactional, it asks for consent), and
 * a new recorded consent takes an earlier unsubscribe off the suppression list (only if the lead
 * still consents: see liftUnsubscribe). Both are retried by the stream until they succeed.
 */
export const handler = observed(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  for (const record of event.Records) {
    try {
      await followConsent(record);
    } catch (error) {
      logger.error('consent change not followed; the stream retries from it', {
        error: { name: (error as Error).name, message: (error as Error).message },
      });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
});

async function followConsent(record: DynamoDBRecord): Promise<void> {
  const images = leadImages(record);
  const current = images?.after;
  if (!current) return;
  const previous = images.before;
  correlate({ leadId: current.leadId });
  const request = newOptInRequest(previous, current);
  if (request) {
    const outcome = await sendLeadEmail({
      lead: current,
      to: 'prospect',
      templateId: 'consent-confirmation',
      data: { ...leadEmailData(current), consentText: request.text, confirmUrl: await confirmUrl(current, request.requestedAt) },
      entryData: { formId: request.formId },
      onceKey: `opt-in:${request.requestedAt}`,
      actor: 'consent',
      now: new Date(),
    });
    logger.info('double opt-in requested', { formId: request.formId, email: outcome.status });
  }
  const consent = newConsentRecord(previous, current);
  if (consent && previous?.unsubscribedAt) {
    const lifted = await liftUnsubscribe(current.email, current.leadId);
    logger.info('consent given again after an unsubscribe', { formId: consent.formId, suppressionLifted: lifted });
  }
}
