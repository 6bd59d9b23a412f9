import { describe, expect, it } from 'vitest';
import { bearerToken, generateApiKey, hashApiKey, requireScope } from '../../core/api-key';
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
