/**
 * The API reference page of the local cloud: Swagger UI, from the swagger-ui-dist package in
 * node_modules (no CDN: the machine may be offline), rendering the API's own `/openapi.json`.
 * Served beside the routes like the dashboard; a deployment would host it the same way.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

export const API_REFERENCE_PATH = '/docs';

const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The package files the page loads, by the name it loads them under; nothing else is served. */
const assets = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['favicon-32x32.png', 'image/png'],
]);

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>leadflow API reference</title>
  <link rel="icon" type="image/png" href="${API_REFERENCE_PATH}/favicon-32x32.png">
  <link rel="stylesheet" href="${API_REFERENCE_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${API_REFERENCE_PATH}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
  </script>
</body>
</html>
`;

export interface StaticFile {
  contentType: string;
  /** The page changes with this code, the assets only with the package version. */
  cacheControl: string;
  body: Buffer;
}

/** The reference page or one of its assets for a request path, or undefined when the path is neither. */
export async function apiReferenceFile(pathname: string): Promise<StaticFile | undefined> {
  if (pathname === API_REFERENCE_PATH || pathname === `${API_REFERENCE_PATH}/`) {
    return { contentType: 'text/html; charset=utf-8', cacheControl: 'no-store', body: Buffer.from(page) };
  }
  const name = pathname.startsWith(`${API_REFERENCE_PATH}/`) ? pathname.slice(API_REFERENCE_PATH.length + 1) : undefined;
  const contentType = name === undefined ? undefined : assets.get(name);
  if (name === undefined || contentType === undefined) return undefined;
  return { contentType, cacheControl: 'public, max-age=3600', body: await readFile(path.join(swaggerUiDir, name)) };
}
