import { readFileSync } from 'node:fs';
import { httpHandler } from './shared/http';

/**
 * Generated from the zod schemas when the function is bundled (scripts/write-openapi.ts) and
 * shipped beside it: a deployment is the only thing that changes it.
 */
const document = readFileSync(new URL('./openapi.json', import.meta.url), 'utf8');

/** GET /openapi.json (public): this API as an OpenAPI 3.1 document, generated from the zod schemas. */
export const handler = httpHandler(() =>
  Promise.resolve({
    status: 200,
    text: document,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      // Clients and caches may keep it a few minutes; a deployment is the only thing that changes it.
      'cache-control': 'public, max-age=300',
      // A public document with no credentials involved: API tools on other origins may read it.
      'access-control-allow-origin': '*',
    },
  }),
);
