import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (forms' signing secrets): AES-256-GCM under a key from Secrets Manager, a random
 * 96-bit IV per value, the 128-bit auth tag, and what the value belongs to as associated data (so
 * a ciphertext copied to another form does not open). Sealed values read
 * `<key version>.<iv>.<tag>.<ciphertext>` in base64url; the version names the key that sealed it.
 */
export const SECRET_BOX_VERSION = 'v1';

/** The 256-bit AES key from the secret's value (64 random characters, hashed to 32 bytes). */
function aesKey(keyMaterial: string): Buffer {
  if (keyMaterial.length === 0) throw new Error('a secret box needs a key');
  return createHash('sha256').update(keyMaterial).digest();
}

export function sealSecret(keyMaterial: string, associatedData: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey(keyMaterial), iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [SECRET_BOX_VERSION, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** Opens a sealed value; throws if it was sealed under another key, for other data, or altered. */
export function openSecret(keyMaterial: string, associatedData: string, sealed: string): string {
  const [version, iv, tag, ciphertext, ...rest] = sealed.split('.');
  if (version !== SECRET_BOX_VERSION || iv === undefined || tag === undefined || ciphertext === undefined || rest.length > 0) {
    throw new Error(`not a sealed value of key version ${SECRET_BOX_VERSION}`);
  }
  const decipher = createDecipheriv('aes-256-gcm', aesKey(keyMaterial), canonicalBytes(iv));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(canonicalBytes(tag));
  return Buffer.concat([decipher.update(canonicalBytes(ciphertext)), decipher.final()]).toString('utf8');
}

/**
 * The bytes of a base64url part, which must be written the one way sealSecret writes them. A
 * decoder ignores the spare low bits of the last character and anything not in the alphabet, so
 * a changed character could otherwise open as the same value: a link with one character altered
 * must be refused, not quietly accepted.
 */
function canonicalBytes(part: string): Buffer {
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) throw new Error('not a sealed value: the encoding was altered');
  return bytes;
}
