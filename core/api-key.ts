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
