import { describe, expect, it } from 'vitest';
import { InvalidSignatureError } from '../../core/errors';
import { signPayload, verifySignature } from '../../core/signature';

const secret = 'whsec_0123456789abcdef';
const body = 'email=ada%40example.com';
const now = new Date('2026-03-01T10:00:00Z');
const t = now.getTime() / 1000;

describe('verifySignature', () => {
  it('accepts a fresh signature over t.rawBody', () => {
    expect(() => {
      verifySignature(secret, signPayload(secret, body, t - 10), body, now);
    }).not.toThrow();
  });

  it('matches the documented HMAC-SHA256 over "<t>.<raw body>"', async () => {
    // Computed independently with WebCrypto, as a form builder's own code would.
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${t}.${body}`));
    expect(signPayload(secret, body, t)).toBe(`t=${t},v1=${Buffer.from(mac).toString('hex')}`);
  });

  it.each([
    ['missing', undefined, /requires a Leadflow-Signature/],
    ['malformed', 'sha256=abc', /must look like/],
    ['stale', signPayload(secret, body, t - 301), /older than 300 seconds/],
    ['from the future', signPayload(secret, body, t + 301), /older than 300 seconds/],
    ['for another body', signPayload(secret, 'email=eve%40example.com', t), /does not match/],
    ['with another secret', signPayload('another-secret-value', body, t), /does not match/],
  ])('rejects a %s signature', (_, header, message) => {
    expect(() => {
      verifySignature(secret, header, body, now);
    }).toThrow(InvalidSignatureError);
    expect(() => {
      verifySignature(secret, header, body, now);
    }).toThrow(message);
  });

  it('accepts any of several v1 digests (secret rotation)', () => {
    const good = signPayload(secret, body, t).split('v1=')[1];
    expect(() => {
      verifySignature(secret, `t=${t},v1=${'0'.repeat(64)},v1=${good}`, body, now);
    }).not.toThrow();
  });
});
