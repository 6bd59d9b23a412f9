import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../core/errors';
import { mediaTypeOf } from '../../core/submission';
import type { HttpRequest } from './http';

const MAX_JSON_BYTES = 256 * 1024;

/** The JSON object body of an admin request, or a 4xx that says what is wrong with it. */
export function parseJsonObject(request: HttpRequest): Record<string, unknown> {
  if (Buffer.byteLength(request.body) > MAX_JSON_BYTES) throw new PayloadTooLargeError(MAX_JSON_BYTES);
  if (mediaTypeOf(request.headers['content-type']) !== 'application/json') {
    throw new UnsupportedMediaTypeError(['application/json']);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body);
  } catch {
    throw new ValidationError('the body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError('the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
