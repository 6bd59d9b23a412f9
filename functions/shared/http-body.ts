import type middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpUrlencodeBodyParser from '@middy/http-urlencode-body-parser';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../core/errors';
import type { ReceivedFile } from '../../core/providers/types';
import type { MultipartForm } from './multipart';

/** `json`: the admin routes' JSON object. `form`: a form submission, urlencoded, multipart or JSON. */
export type BodyKind = 'json' | 'form';

export const JSON_MEDIA_TYPE = 'application/json';
export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';
export const MULTIPART_MEDIA_TYPE = 'multipart/form-data';
const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/** A form route's body as received: what a provider's format is read from. */
export interface ReceivedForm {
  mediaType: string;
  /** A JSON body (an object). */
  json?: Record<string, unknown>;
  /** A urlencoded or multipart body's text fields in the order sent; a name sent twice appears twice. */
  fields: Array<[string, string]>;
  files: ReceivedFile[];
}

/** The event as the body parser leaves it for the handler. */
export interface ParsedBodyEvent extends APIGatewayProxyEventV2 {
  /** The body exactly as sent (base64 decoded). */
  rawBody?: string;
  /** A `json` route's object. */
  parsedBody?: Record<string, unknown>;
  /** A `form` route's body. */
  form?: ReceivedForm;
}

/** The media type without parameters, lowercased (`application/json; charset=utf-8` -> `application/json`). */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

const methodsWithoutBody = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);
/** A middy body parser as used here: it reads `headers` and `body`, which HTTP API (v2) events have like v1 ones. */
interface BodyParser {
  before?: (request: middy.Request<APIGatewayProxyEventV2>) => unknown;
}
// middy's typings name the REST API (v1) event; the parsers read nothing v2 events lack.
const jsonParser = httpJsonBodyParser() as unknown as BodyParser;
const urlencodedParser = httpUrlencodeBodyParser() as unknown as BodyParser;

/** Runs a middy body parser on the request; whatever it rejects is answered with `failure()`. */
async function parseWith(parser: BodyParser, request: middy.Request<APIGatewayProxyEventV2>, failure: () => Error): Promise<void> {
  try {
    await parser.before?.(request);
  } catch {
    throw failure();
  }
}

/**
 * Body parsing by middy's JSON and urlencoded parsers, behind the checks the API promises: a body
 * over the route's limit is 413, a media type the route does not take is 415, malformed JSON or
 * a JSON body that is not an object is 400. The raw body is kept for signatures and hashes.
 */
export function bodyParser(
  kind: BodyKind,
  maxBytes = DEFAULT_MAX_BODY_BYTES,
  /** For `form` routes that take multipart (multipart.ts); passed in so that only they bundle it. */
  parseMultipart?: (body: Buffer, contentType: string) => Promise<MultipartForm>,
  /** A `json` route whose body is optional (every field has a default): no body at all reads as `{}`. */
  optional = false,
): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: async (request) => {
      const event = request.event as ParsedBodyEvent;
      const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
      const raw = bytes.toString('utf8');
      event.rawBody = raw;
      if (methodsWithoutBody.has(event.requestContext.http.method.toUpperCase())) return;
      if (bytes.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
      if (optional && bytes.length === 0) return;

      const contentType = event.headers['content-type'];
      const mediaType = mediaTypeOf(contentType);
      const supported =
        kind === 'json' ? [JSON_MEDIA_TYPE] : [FORM_MEDIA_TYPE, ...(parseMultipart ? [MULTIPART_MEDIA_TYPE] : []), JSON_MEDIA_TYPE];
      if (!supported.includes(mediaType)) throw new UnsupportedMediaTypeError(supported);
      if (mediaType === MULTIPART_MEDIA_TYPE && parseMultipart) {
        const multipart = await parseMultipart(bytes, contentType ?? '').catch(() => {
          throw new ValidationError('the body is not valid multipart/form-data (is the boundary in the content type?)');
        });
        event.form = { mediaType, ...multipart };
        return;
      }
      // The parsers read the decoded body under the bare media type.
      const parsing: middy.Request<APIGatewayProxyEventV2> = {
        ...request,
        event: { ...event, body: raw, isBase64Encoded: false, headers: { ...event.headers, 'content-type': mediaType } },
      };

      if (mediaType === FORM_MEDIA_TYPE) {
        // A body with no `name=value` pair at all: no form sends that.
        await parseWith(urlencodedParser, parsing, () => new ValidationError('the body is not a urlencoded form'));
        const fields = Object.entries(parsing.event.body as unknown as Record<string, string | string[]>).flatMap(
          ([name, value]): Array<[string, string]> => (Array.isArray(value) ? value.map((one) => [name, one]) : [[name, value]]),
        );
        event.form = { mediaType, fields, files: [] };
        return;
      }
      await parseWith(jsonParser, parsing, () => new ValidationError('the body is not valid JSON'));
      const parsed: unknown = parsing.event.body;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new ValidationError(kind === 'form' ? 'the body must be a JSON object of fields' : 'the body must be a JSON object');
      }
      if (kind === 'form') event.form = { mediaType, json: parsed as Record<string, unknown>, fields: [], files: [] };
      else event.parsedBody = parsed as Record<string, unknown>;
    },
  };
}
