import { openApiDocument } from '../core/api/openapi';
import { httpHandler } from './shared/http';

/** Generated once per container: the document changes only with a deployment. */
const document = openApiDocument();

/** GET /openapi.json (public): this API as an OpenAPI 3.1 document, generated from the zod schemas. */
export const handler = httpHandler(async () => ({
  status: 200,
  json: document,
  headers: {
    'content-type': 'application/json; charset=utf-8',
    // Clients and caches may keep it a few minutes; a deployment is the only thing that changes it.
    'cache-control': 'public, max-age=300',
    // A public document with no credentials involved: API tools on other origins may read it.
    'access-control-allow-origin': '*',
  },
}));
