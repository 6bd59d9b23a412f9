import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CaptchaSettings } from '../../core/captcha';
import { storedFormSchema, type Form, type StoredForm } from '../../core/form';
import { keys } from '../../core/keys';
import { openSecret, sealSecret } from '../../core/secret-box';
import { secretEnv, secretValue } from './secrets';
import { documents, tableEnv } from './table';

/** Forms change rarely and every capture reads one: keep them for a few seconds per container. */
const FORM_CACHE_MS = 5_000;
const cache = new Map<string, { form: StoredForm; expires: number }>();

/** A form as stored: its signing secret encrypted (signingSecretOf opens it). */
export async function getForm(formId: string, options: { fresh?: boolean } = {}): Promise<StoredForm | undefined> {
  const cached = cache.get(formId);
  if (!options.fresh && cached && cached.expires > Date.now()) return cached.form;
  const { Item } = await documents.send(new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.form(formId) }));
  if (!Item) return undefined;
  const form = storedFormSchema.parse(Item);
  cache.set(formId, { form, expires: Date.now() + FORM_CACHE_MS });
  return form;
}

/** Stores a form with its signing and CAPTCHA secrets encrypted under the FormSecretsKey; returns it as stored. */
export async function putForm(form: Form, now: Date): Promise<StoredForm> {
  const { signingSecret, captcha, ...rest } = form;
  const needsKey = signingSecret !== undefined || captcha !== undefined;
  const key = needsKey ? await secretValue(secretEnv.formSecretsKey) : '';
  const stored: StoredForm = {
    ...rest,
    ...(signingSecret !== undefined && {
      encryptedSigningSecret: sealSecret(key, associatedData(form.formId), signingSecret),
    }),
    ...(captcha !== undefined && {
      captcha: {
        provider: captcha.provider,
        ...(captcha.verifyUrl && { verifyUrl: captcha.verifyUrl }),
        encryptedSecret: sealSecret(key, associatedData(form.formId, 'captchaSecret'), captcha.secret),
      },
    }),
  };
  await documents.send(
    new PutCommand({
      TableName: tableEnv.TABLE_NAME,
      Item: { ...keys.form(form.formId), ...stored, updatedAt: now.toISOString() },
    }),
  );
  cache.delete(form.formId);
  return stored;
}

/** The form's signing secret in plain text, for verifying a delivery (capture only holds the key to open it). */
export async function signingSecretOf(form: StoredForm): Promise<string | undefined> {
  if (form.encryptedSigningSecret === undefined) return undefined;
  return openSecret(await secretValue(secretEnv.formSecretsKey), associatedData(form.formId), form.encryptedSigningSecret);
}

/** The form's CAPTCHA settings with the secret opened, for siteverify (capture only). */
export async function captchaOf(form: StoredForm): Promise<CaptchaSettings | undefined> {
  if (!form.captcha) return undefined;
  const { encryptedSecret, ...settings } = form.captcha;
  const secret = openSecret(await secretValue(secretEnv.formSecretsKey), associatedData(form.formId, 'captchaSecret'), encryptedSecret);
  return { ...settings, secret };
}

/** A sealed secret opens only for the form and the purpose it was sealed for. */
function associatedData(formId: string, purpose: 'signingSecret' | 'captchaSecret' = 'signingSecret'): string {
  return `leadflow:form:${formId}:${purpose}`;
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
