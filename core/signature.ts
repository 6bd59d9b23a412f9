import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidSignatureError } from './errors';

export const SIGNATURE_HEADER = 'leadflow-signature';
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` */
export function signPayload(secret: string, rawBody: string, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${signatureDigest(secret, rawBody, timestampSeconds)}`;
}

function signatureDigest(secret: string, rawBody: string, timestampSeconds: number): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex');
}

/**
 * Checks a `Leadflow-Signature` header: present, well formed, fresh (within 300 s either way) and
 * matching one of the `v1` digests (several are allowed while a secret is being rotated).
 */
export function verifySignature(secret: string, header: string | undefined, rawBody: string, now: Date): void {
  if (!header) throw new InvalidSignatureError('this form requires a Leadflow-Signature header');
  let timestamp: number | undefined;
  const digests: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (name === 'v1' && value && /^[0-9a-f]{64}$/i.test(value)) digests.push(value.toLowerCase());
  }
  if (timestamp === undefined || digests.length === 0) {
    throw new InvalidSignatureError('the Leadflow-Signature header must look like t=<seconds>,v1=<hex>');
  }
  if (Math.abs(now.getTime() / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
    throw new InvalidSignatureError(`the signature is older than ${SIGNATURE_TOLERANCE_SECONDS} seconds`);
  }
  const expected = Buffer.from(signatureDigest(secret, rawBody, timestamp), 'hex');
  const matches = digests.some((digest) => timingSafeEqual(Buffer.from(digest, 'hex'), expected));
  if (!matches) throw new InvalidSignatureError('the signature does not match the body');
}
