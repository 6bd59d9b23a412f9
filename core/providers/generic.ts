import { verifySignature, SIGNATURE_HEADER } from '../signature';
import { parseFields } from '../submission';
import { jsonObjectOf } from './shared';
import type { ProviderAdapter, ReceivedFile } from './types';

/** leadflow's own format: a plain HTML form (urlencoded or multipart), or `fetch` with JSON fields. */
export const genericProvider: ProviderAdapter = {
  id: 'generic',
  mediaTypes: ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'],
  read(delivery) {
    const pairs = delivery.mediaType === 'application/json' ? Object.entries(jsonObjectOf(delivery, 'form')) : delivery.fields;
    return { fields: parseFields(pairs), notes: delivery.files.map(fileNote) };
  },
  verify(delivery, secret, now) {
    verifySignature(secret, delivery.headers[SIGNATURE_HEADER], delivery.rawBody, now);
  },
};

/** Uploads are not kept: the lead's history says what was sent. */
export function fileNote(file: ReceivedFile): string {
  return `a file (${file.filename || 'unnamed'}, ${file.bytes} bytes) sent as ${file.field} was not kept: leadflow stores no uploads`;
}
