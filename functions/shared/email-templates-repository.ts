import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../core/keys';
import type { MarketingTemplate } from '../../core/marketing-templates';
import { documents, queryAll, tableEnv } from './table';

/** How long a sender reuses a template it read: a campaign sends thousands of emails of one step. */
export const TEMPLATE_CACHE_MS = 5_000;

const cache = new Map<string, { template: MarketingTemplate | undefined; readAt: number }>();

/**
 * A template's item. A deleted template keeps its item, marked `deleted`, so that versions only
 * ever grow: a template created again under the same id never reuses a version (or an SES name).
 * `previousSesTemplateName` is the version before, whose SES template is kept for the senders
 * that read it a moment ago; the one before that is deleted when a new version is stored.
 */
export type StoredEmailTemplate = MarketingTemplate & { deleted?: boolean; previousSesTemplateName?: string };

/** A marketing template's current version, or undefined when there is none (read at most every TEMPLATE_CACHE_MS). */
export async function getEmailTemplate(templateId: string, now = Date.now()): Promise<MarketingTemplate | undefined> {
  const cached = cache.get(templateId);
  if (cached && now - cached.readAt < TEMPLATE_CACHE_MS) return cached.template;
  const stored = await readStoredEmailTemplate(templateId, { consistent: false });
  const template = stored && !stored.deleted ? stored : undefined;
  cache.set(templateId, { template, readAt: now });
  return template;
}

/** Forgets what was read (a test, or the writer after it changed a template in this process). */
export function forgetEmailTemplates(): void {
  cache.clear();
}

/** The template's item as stored, deleted or not (the editor needs the last version either way). */
export async function readStoredEmailTemplate(
  templateId: string,
  options: { consistent?: boolean } = { consistent: true },
): Promise<StoredEmailTemplate | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.emailTemplate(templateId), ConsistentRead: options.consistent }),
  );
  return Item ? withoutKeys(Item) : undefined;
}

/** Every template that is not deleted, by id (one partition: a team has tens of templates). */
export async function listEmailTemplates(): Promise<StoredEmailTemplate[]> {
  const items = await queryAll({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.emailTemplatesPartition } });
  return items.map(withoutKeys).filter((template) => !template.deleted);
}

/**
 * Writes a template's item if it is still at `expectedVersion` (0: no item yet). Returns false,
 * writing nothing, when another edit came first.
 */
export async function writeEmailTemplate(item: StoredEmailTemplate, expectedVersion: number): Promise<boolean> {
  try {
    await documents.send(
      new PutCommand({
        TableName: tableEnv.TABLE_NAME,
        Item: { ...keys.emailTemplate(item.templateId), ...item },
        ...(expectedVersion === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
  cache.delete(item.templateId);
  return true;
}

function withoutKeys(item: Record<string, unknown>): StoredEmailTemplate {
  const { pk: _pk, sk: _sk, ...template } = item;
  return template as unknown as StoredEmailTemplate;
}
