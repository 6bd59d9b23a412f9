import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { ForbiddenError } from './errors';

export const scopes = ['leads:read', 'leads:write', 'campaigns:write', 'metrics:read', 'admin'] as const;
export type Scope = (typeof scopes)[number];

export const apiKeyRecordSchema = z.object({
  name: z.string(),
  scopes: z.array(z.enum(scopes)),
  createdAt: z.string(),
  revoked: z.boolean().optional(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

export const scopeSchema = z.enum(scopes).meta({ description: 'What a key may do; `admin` holds every scope.' });

/** A request for a new key (`POST /v1/api-keys`). */
export const newApiKeySchema = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .meta({ description: 'Who uses the key; changes made with it name it as their actor.', examples: ['crm-sync'] }),
  scopes: z.array(scopeSchema).min(1),
});
export type NewApiKey = z.infer<typeof newApiKeySchema>;

/** The answer to it: the only time the plaintext key is shown (the table keeps its hash). */
export const issuedApiKeySchema = z.object({
  key: z.string().meta({ description: 'Send as `Authorization: Bearer <key>`. Shown once, never again.', examples: ['lf_3q2Xz0...'] }),
  name: z.string(),
  scopes: z.array(scopeSchema),
  createdAt: z.iso.datetime(),
});
export type IssuedApiKey = z.infer<typeof issuedApiKeySchema>;

/** A new key: shown once to its owner, stored only as its hash. */
export function generateApiKey(): string {
  return `lf_${randomBytes(24).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** `Authorization: Bearer <key>` to the key, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

/** `admin` holds every scope. */
export function requireScope(record: ApiKeyRecord, scope: Scope): void {
  if (record.scopes.includes('admin') || record.scopes.includes(scope)) return;
  throw new ForbiddenError(`this API key lacks the ${scope} scope`);
}
