import { createHash } from 'node:crypto';
import * as z from 'zod';
import { UnprocessableError, ValidationError } from './errors';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Form tools retry a failed delivery for a day or more (Tally: over 31 hours): their event ids are kept a week. */
export const PROVIDER_EVENT_TTL_SECONDS = 7 * 24 * 60 * 60;

export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7E]{1,255}$/);

/** What a first request answered, replayed to every retry with the same key. */
export const idempotencyRecordSchema = z.object({
  requestHash: z.string(),
  status: z.number(),
  body: z.record(z.string(), z.unknown()),
  headers: z.record(z.string(), z.string()).optional(),
});
export type IdempotencyRecord = z.infer<typeof idempotencyRecordSchema>;

export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!idempotencyKeySchema.safeParse(header).success) {
    throw new ValidationError('Idempotency-Key must be 1-255 visible ASCII characters', [
      { path: 'Idempotency-Key', message: 'is malformed' },
    ]);
  }
  // Hashed so that an arbitrary client string never becomes part of a key unescaped.
  return createHash('sha256').update(header).digest('base64url');
}

/**
 * The idempotency key of a provider's event: a redelivery carries the same event id, whatever else
 * changed in it, so its hash is the id's too.
 */
export function providerEventKey(provider: string, eventId: string): { key: string; hash: string } {
  const key = createHash('sha256').update(`event:${provider}:${eventId}`).digest('base64url');
  return { key, hash: key };
}

export function requestHash(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('base64url');
}

/** A retry must be the same request; reusing a key for a different one is a client bug. */
export function replay(record: IdempotencyRecord, hash: string): IdempotencyRecord {
  if (record.requestHash !== hash) {
    throw new UnprocessableError('idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
  }
  return record;
}
