import Busboy from '@fastify/busboy';
import type { ReceivedFile } from '../../core/providers/types';

export interface MultipartForm {
  /** Text parts in the order sent; a name sent twice appears twice. */
  fields: Array<[string, string]>;
  /** File parts, counted and discarded: the platform keeps no uploads. */
  files: ReceivedFile[];
}

/**
 * Reads a multipart/form-data body with busboy. Unlike middy's multipart middleware it keeps every
 * value of a repeated name and the order of the parts, and it keeps no file content.
 */
export function parseMultipart(body: Buffer, contentType: string): Promise<MultipartForm> {
  return new Promise((resolve, reject) => {
    const form: MultipartForm = { fields: [], files: [] };
    const busboy = Busboy({ headers: { 'content-type': contentType }, limits: { parts: 1000, fieldSize: 64 * 1024 } });
    busboy.on('field', (name, value) => {
      form.fields.push([name, value]);
    });
    busboy.on('file', (field, stream, filename, _encoding, contentType) => {
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      stream.on('end', () => {
        form.files.push({ field, filename, contentType, bytes });
      });
    });
    busboy.on('finish', () => {
      resolve(form);
    });
    busboy.on('error', reject);
    busboy.end(body);
  });
}
