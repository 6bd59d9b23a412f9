import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../core/keys';
import type { MarketingTemplate } from '../../core/marketing-templates';
import { documents, tableEnv } from './table';

/** How long a sender reuses a template it read: a campaign sends thousands of emails of one step. */
export const TEMPLATE_CACHE_MS = 5_000;

const cache = new Map<string, { template: MarketingTemplate | undefined; readAt: number }>();

/** A marketing template's current version, or undefined when there is none (read at most every TEMPLATE_CACHE_MS). */
export async function getEmailTemplate(templateId: string, now = Date.now()): Promise<MarketingTemplate | undefined> {
  const cached = cache.get(templateId);
  if (cached && now - cached.readAt < TEMPLATE_CACHE_MS) return cached.template;
  const { Item } = await documents.send(new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.emailTemplate(templateId) }));
  const template = Item && !Item.deleted ? (Item as unknown as MarketingTemplate) : undefined;
  cache.set(templateId, { template, readAt: now });
  return template;
}

/** Forgets what was read (a test, or the writer after it changed a template in this process). */
export function forgetEmailTemplates(): void {
  cache.clear();
}
