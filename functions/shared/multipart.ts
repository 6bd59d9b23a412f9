import type { ReceivedFile } from '../../core/providers/types';

export interface MultipartForm {
  /** Text parts in the order sent; a name sent twice appears twice. */
  fields: Array<[string, string]>;
  /** File parts, counted and discarded: the platform keeps no uploads. */
  files: ReceivedFile[];
}

/**
 * Reads a multipart/form-data body with busboy. Unlike middy's multipart middleware it keeps every
 * value of a repeated name and the order of the parts, and it keeps no file content. (Node's own
 * `Response.formData()` misreads bodies with short boundaries, as some clients send.)
 *
 * busboy is loaded on the first multipart body: the capture function ships it beside its bundle
 * (see the Capture construct), so cold starts for urlencoded and JSON posts do not load it.
 */
export async function parseMultipart(body: Buffer, contentType: string): Promise<MultipartForm> {
  const { default: Busboy } = await import('@fastify/busboy');
  return new Promise((resolve, reject) => {
    const form: MultipartForm = { fields: [], files: [] };
    const busboy = Busboy({ headers: { 'content-type': contentType }, limits: { parts: 1000, fieldSize: 64 * 1024 } });
    busboy.on('field', (name, value) => {
      form.fields.push([name, value]);
    });
    busboy.on('file', (field, stream, filename, _encoding, mimeType) => {
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      stream.on('end', () => {
        form.files.push({ field, filename, contentType: mimeType, bytes });
      });
    });
    busboy.on('finish', () => {
      resolve(form);
    });
    busboy.on('error', reject);
    busboy.end(body);
  });
}
