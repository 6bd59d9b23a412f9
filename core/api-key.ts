import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { ForbiddenError } from './errors';

export const scopes = ['leads:read', 'leads:write', 'campaigns:read', 'campaigns:write', 'metrics:read', 'admin'] as const;
export type Scope = (typeof scopes)[number];

export const scopeSchema = z.enum(scopes).meta({ description: 'What a key may do; `admin` holds every scope.' });

/** A key's public id: names it in lists, revocation and rotation, and says nothing about the key itself. */
export const keyIdSchema = z
  .string()
  .regex(/^key_[A-Za-z0-9_-]{16,64}$/, 'is not an API key id (key_...)')
  .meta({ description: "The key's public id (not the key).", examples: ['key_Q2v8Jm0cT1sX4bNf'] });

const timestamp = z.iso.datetime();

/**
 * What is stored about a key, under its hash (what a request is checked against) and under its id
 * (what lists, revocation and rotation use). `expiresAt` is set when the key is rotated: it keeps
 * working until then. `revokedAt` ends it at once.
 */
export const apiKeyRecordSchema = z.object({
  keyId: keyIdSchema,
  name: z.string(),
  scopes: z.array(z.enum(scopes)),
  createdAt: timestamp,
  expiresAt: timestamp.optional(),
  revokedAt: timestamp.optional(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

/** A key as `GET /v1/api-keys` lists it: never the key or its hash. */
export const apiKeyViewSchema = apiKeyRecordSchema.extend({
  name: z.string().meta({ description: 'Who uses the key.' }),
  expiresAt: timestamp.optional().meta({ description: 'A rotated key works until then.' }),
  revokedAt: timestamp.optional().meta({ description: 'Revoked keys fail at once (within 1 s).' }),
});
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;

export const apiKeyListSchema = z.object({ keys: z.array(apiKeyViewSchema) });

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

/** The overlap a rotation allows the old key by default: a day to roll the new key out. */
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 24 * 60 * 60;
/** At most a week: a rotation is meant to retire the old key. */
export const MAX_ROTATION_OVERLAP_SECONDS = 7 * 24 * 60 * 60;

/** A rotation (`POST /v1/api-keys/{keyId}/rotate`); the body may be empty. */
export const rotationSchema = z.object({
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_ROTATION_OVERLAP_SECONDS)
    .default(DEFAULT_ROTATION_OVERLAP_SECONDS)
    .meta({ description: 'How long the old key keeps working beside the new one (0: it stops now).' }),
});
export type Rotation = z.infer<typeof rotationSchema>;

/** The answer to an issue or a rotation: the only time the plaintext key is shown (the table keeps its hash). */
export const issuedApiKeySchema = z.object({
  keyId: keyIdSchema,
  key: z.string().meta({ description: 'Send as `Authorization: Bearer <key>`. Shown once, never again.', examples: ['lf_3q2Xz0...'] }),
  name: z.string(),
  scopes: z.array(scopeSchema),
  createdAt: timestamp,
});
export type IssuedApiKey = z.infer<typeof issuedApiKeySchema>;

export const rotatedApiKeySchema = issuedApiKeySchema.extend({
  rotated: z.object({ keyId: keyIdSchema, expiresAt: timestamp }).meta({ description: 'The old key and when it stops working.' }),
});
export type RotatedApiKey = z.infer<typeof rotatedApiKeySchema>;

/** A new key: shown once to its owner, stored only as its hash. */
export function generateApiKey(): string {
  return `lf_${randomBytes(24).toString('base64url')}`;
}

/** A new public key id; random, so it reveals nothing about the key. */
export function generateKeyId(): string {
  return `key_${randomBytes(12).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** `Authorization: Bearer <key>` to the key, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

/** Whether a stored key may be used at `now`: not revoked, and not past the end of a rotation's overlap. */
export function isKeyActive(record: Pick<ApiKeyRecord, 'expiresAt' | 'revokedAt'>, now: Date): boolean {
  if (record.revokedAt !== undefined) return false;
  return record.expiresAt === undefined || Date.parse(record.expiresAt) > now.getTime();
}

/**
 * Scopes that hold another: a key that may change campaigns and templates may read them (keys
 * issued with `campaigns:write` before `campaigns:read` existed keep reading them).
 */
const heldBy: Partial<Record<Scope, Scope[]>> = { 'campaigns:read': ['campaigns:write'] };

/** `admin` holds every scope. */
export function hasScope(granted: readonly string[], scope: Scope): boolean {
  return granted.includes('admin') || granted.includes(scope) || (heldBy[scope] ?? []).some((holder) => granted.includes(holder));
}

export function requireScope(record: Pick<ApiKeyRecord, 'scopes'>, scope: Scope): void {
  if (!hasScope(record.scopes, scope)) throw new ForbiddenError(`this API key lacks the ${scope} scope`);
}

/** When a rotated key stops working: the overlap from now, never later than an end it already had. */
export function rotationEnd(record: Pick<ApiKeyRecord, 'expiresAt'>, overlapSeconds: number, now: Date): string {
  const end = now.getTime() + overlapSeconds * 1000;
  const current = record.expiresAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(record.expiresAt);
  return new Date(Math.min(end, current)).toISOString();
}

/**
 * What the gateway's authorizer hands the functions (`requestContext.authorizer.lambda`): who is
 * calling. Values are strings, as API Gateway passes context values; scopes are space-separated.
 */
export interface CallerContext {
  keyId: string;
  keyName: string;
  scopes: string;
}
