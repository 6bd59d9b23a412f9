/**
 * Serves the demo landing page (web/demo) on its own origin, so that its form posts to the API
 * cross-origin as a customer's site would. `{{API_URL}}` in the pages becomes the local API URL.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { listen, type RunningServer } from './listen';
import { repoRoot } from './local-aws';

const siteDir = path.join(repoRoot, 'web', 'demo');

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export async function startSite(options: { port: number; apiUrl: string }): Promise<RunningServer> {
  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const pathname = safeDecode(new URL(req.url ?? '/', 'http://site').pathname);
    const file = path.join(siteDir, pathname === '/' ? 'index.html' : pathname);
    const type = contentTypes[path.extname(file)];
    const inside = file.startsWith(siteDir + path.sep);
    const content =
      inside && type && (req.method === 'GET' || req.method === 'HEAD') ? await readFile(file).catch(() => undefined) : undefined;
    if (!content || !type) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    const body = type.startsWith('text/html') ? Buffer.from(content.toString('utf8').replaceAll('{{API_URL}}', options.apiUrl)) : content;
    // Pages change while you work on them: never cached.
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const server = http.createServer((req, res) => {
    void serve(req, res);
  });
  return listen(server, options.port, 'demo landing page');
}

function safeDecode(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}
