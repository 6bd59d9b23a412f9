import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { leadSchema, type Lead } from '../../core/lead';
import { countMetric } from './business-metrics';
import { withoutKeys } from './leads-repository';
import { logger } from './observability';

/**
 * A lead item's stream record as leads: before and after the write. An image that is not a lead
 * (an item written by hand or by a broken migration) can never be read, however often the stream
 * hands it over, and retried it would hold up every later record of its shard until it expired:
 * such a record is skipped, logged and counted (`UnreadableLeadRecords`, alarmed like any error),
 * and the item, once repaired, makes a record of its own. Answers undefined for a skipped record.
 */
export function leadImages(record: DynamoDBRecord): { before?: Lead; after?: Lead } | undefined {
  const before = readImage(record.dynamodb?.OldImage);
  const after = readImage(record.dynamodb?.NewImage);
  if (before === 'unreadable' || after === 'unreadable') {
    logger.error('a lead record that does not hold a lead was skipped', {
      key: record.dynamodb?.Keys?.pk?.S,
      sequenceNumber: record.dynamodb?.SequenceNumber,
    });
    countMetric('UnreadableLeadRecords', 1);
    return undefined;
  }
  return { before, after };
}

function readImage(image: Record<string, unknown> | undefined): Lead | 'unreadable' | undefined {
  if (!image) return undefined;
  const parsed = leadSchema.safeParse(withoutKeys(unmarshall(image as Record<string, AttributeValue>)));
  return parsed.success ? parsed.data : 'unreadable';
}
