import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  generateApiKey,
  generateKeyId,
  hasScope,
  hashApiKey,
  isKeyActive,
  keyIdSchema,
  requireScope,
  rotationEnd,
  rotationSchema,
} from '../../core/api-key';
import { ForbiddenError } from '../../core/errors';
import { parseIdempotencyKey, replay, requestHash } from '../../core/idempotency';
import { UnprocessableError, ValidationError } from '../../core/errors';

describe('API keys', () => {
  it('generates distinct keys and stores only a hash', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^lf_[A-Za-z0-9_-]{32}$/);
    expect(generateApiKey()).not.toBe(key);
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toContain(key.slice(3));
  });

  it('reads a bearer token', () => {
    expect(bearerToken('Bearer lf_abc')).toBe('lf_abc');
    expect(bearerToken('bearer   lf_abc ')).toBe('lf_abc');
    expect(bearerToken('Basic xyz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('checks scopes, with admin holding all', () => {
    const reader = { name: 'r', scopes: ['leads:read' as const], createdAt: '' };
    expect(() => {
      requireScope(reader, 'leads:read');
    }).not.toThrow();
    expect(() => {
      requireScope(reader, 'leads:write');
    }).toThrow(ForbiddenError);
    expect(() => {
      requireScope({ ...reader, scopes: ['admin'] }, 'metrics:read');
    }).not.toThrow();
  });

  it('lets a key that may change campaigns read them, and a campaign reader change nothing', () => {
    expect(hasScope(['campaigns:write'], 'campaigns:read')).toBe(true);
    expect(hasScope(['campaigns:read'], 'campaigns:read')).toBe(true);
    expect(hasScope(['campaigns:read'], 'campaigns:write')).toBe(false);
    expect(hasScope(['leads:write'], 'leads:read')).toBe(false);
    expect(hasScope(['metrics:read'], 'campaigns:read')).toBe(false);
  });
});

describe('API key lifetimes', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');

  it('gives each key a public id that says nothing about the key', () => {
    const keyId = generateKeyId();
    expect(keyIdSchema.parse(keyId)).toBe(keyId);
    expect(generateKeyId()).not.toBe(keyId);
    expect(keyIdSchema.safeParse('key_../x').success).toBe(false);
  });

  it('is active until revoked or past its rotation end', () => {
    expect(isKeyActive({}, now)).toBe(true);
    expect(isKeyActive({ revokedAt: '2026-03-01T11:00:00.000Z' }, now)).toBe(false);
    expect(isKeyActive({ expiresAt: '2026-03-01T12:00:00.001Z' }, now)).toBe(true);
    expect(isKeyActive({ expiresAt: '2026-03-01T12:00:00.000Z' }, now)).toBe(false);
  });

  it('ends a rotated key after the overlap, never later than an end it had', () => {
    expect(rotationEnd({}, 60, now)).toBe('2026-03-01T12:01:00.000Z');
    expect(rotationEnd({ expiresAt: '2026-03-01T12:00:30.000Z' }, 60, now)).toBe('2026-03-01T12:00:30.000Z');
    expect(rotationEnd({ expiresAt: '2026-03-02T00:00:00.000Z' }, 0, now)).toBe(now.toISOString());
  });

  it('bounds the overlap: a day by default, at most a week', () => {
    expect(rotationSchema.parse({})).toEqual({ overlapSeconds: 86_400 });
    expect(rotationSchema.safeParse({ overlapSeconds: 604_800 }).success).toBe(true);
    for (const overlapSeconds of [-1, 604_801, 1.5, '60']) expect(rotationSchema.safeParse({ overlapSeconds }).success).toBe(false);
  });
});

describe('idempotency', () => {
  it('accepts visible ASCII keys and rejects others', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('order-123')).toBe(parseIdempotencyKey('order-123'));
    expect(parseIdempotencyKey('order-123')).not.toBe(parseIdempotencyKey('order-124'));
    expect(() => parseIdempotencyKey('')).toThrow(ValidationError);
    expect(() => parseIdempotencyKey('has space')).toThrow(ValidationError);
    expect(() => parseIdempotencyKey('x'.repeat(256))).toThrow(ValidationError);
  });

  it('replays the stored answer for the same request and refuses a different one', () => {
    const record = { requestHash: requestHash(['default', 'a']), status: 202, body: { leadId: 'x', duplicate: false } };
    expect(replay(record, requestHash(['default', 'a']))).toBe(record);
    expect(() => replay(record, requestHash(['default', 'b']))).toThrow(UnprocessableError);
  });
});
