import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { formSchema, type Form } from '../../core/form';
import { keys } from '../../core/keys';
import { documents, tableEnv } from './table';

/** Forms change rarely and every capture reads one: keep them for a few seconds per container. */
const FORM_CACHE_MS = 5_000;
const cache = new Map<string, { form: Form; expires: number }>();

export async function getForm(formId: string, options: { fresh?: boolean } = {}): Promise<Form | undefined> {
  const cached = cache.get(formId);
  if (!options.fresh && cached && cached.expires > Date.now()) return cached.form;
  const { Item } = await documents.send(new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.form(formId) }));
  if (!Item) return undefined;
  const form = formSchema.parse(Item);
  cache.set(formId, { form, expires: Date.now() + FORM_CACHE_MS });
  return form;
}

export async function putForm(form: Form, now: Date): Promise<void> {
  await documents.send(
    new PutCommand({
      TableName: tableEnv.TABLE_NAME,
      Item: { ...keys.form(form.formId), ...form, updatedAt: now.toISOString() },
    }),
  );
  cache.delete(form.formId);
}

/** Spam is counted, never stored. */
export async function countSpam(formId: string): Promise<void> {
  await documents.send(
    new UpdateCommand({
      TableName: tableEnv.TABLE_NAME,
      Key: keys.formStats(formId),
      UpdateExpression: 'ADD spamDropped :one',
      ExpressionAttributeValues: { ':one': 1 },
    }),
  );
}

export async function getFormStats(formId: string): Promise<{ spamDropped: number }> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.formStats(formId), ConsistentRead: true }),
  );
  return { spamDropped: Number(Item?.spamDropped ?? 0) };
}
