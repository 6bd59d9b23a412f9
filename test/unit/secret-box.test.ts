import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret } from '../../core/secret-box';

describe('secret box (AES-256-GCM)', () => {
  const key = 'k'.repeat(64);

  it('seals with a key version prefix and a fresh IV, and opens to the plaintext', () => {
    const a = sealSecret(key, 'form:a', 'whsec_0123456789abcdef');
    const b = sealSecret(key, 'form:a', 'whsec_0123456789abcdef');
    expect(a).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('whsec');
    expect(openSecret(key, 'form:a', a)).toBe('whsec_0123456789abcdef');
  });

  it('refuses another key, other associated data, an altered value or another version', () => {
    const sealed = sealSecret(key, 'form:a', 'whsec_0123456789abcdef');
    expect(() => openSecret('x'.repeat(64), 'form:a', sealed)).toThrow();
    expect(() => openSecret(key, 'form:b', sealed)).toThrow();
    const [version, iv, tag, data] = sealed.split('.');
    const flipped = `${data!.slice(0, -2)}${data!.endsWith('AA') ? 'AB' : 'AA'}`;
    expect(() => openSecret(key, 'form:a', [version, iv, tag, flipped].join('.'))).toThrow();
    expect(() => openSecret(key, 'form:a', sealed.replace(/^v1/, 'v2'))).toThrow(/key version/);
  });

  it('refuses a last character changed only in the bits the decoding ignores', () => {
    // 22 bytes: the last base64url character carries 4 bits of data and 2 spare ones.
    const sealed = sealSecret(key, 'form:a', 'x'.repeat(22));
    const [version, iv, tag, data] = sealed.split('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(data!.at(-1)!);
    const sameBytes = `${data!.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(sameBytes, 'base64url')).toEqual(Buffer.from(data!, 'base64url'));
    expect(() => openSecret(key, 'form:a', [version, iv, tag, sameBytes].join('.'))).toThrow(/encoding was altered/);
    expect(() => openSecret(key, 'form:a', `${sealed}!`)).toThrow();
  });
});
