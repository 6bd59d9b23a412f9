import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the stub saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface CannedAnswer {
  status?: number;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, with `contentType`. */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

type Route = CannedAnswer | ((request: RecordedRequest) => CannedAnswer);

/**
 * A stand-in for the leadflow API on 127.0.0.1: answers what a test set up for `METHOD /path`
 * (a list of answers is served one after another, the last one repeatedly) and records every
 * request. Anything not set up is API Gateway's 404.
 */
export class StubApi {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Route[]>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://stub');
        const text = Buffer.concat(chunks).toString('utf8');
        const request: RecordedRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body: text === '' ? undefined : JSON.parse(text),
        };
        this.requests.push(request);
        const queue = this.routes.get(`${request.method} ${request.path}`);
        const route = queue && queue.length > 1 ? queue.shift() : queue?.[0];
        const answer = typeof route === 'function' ? route(request) : (route ?? { status: 404, json: { message: 'Not Found' } });
        const body = answer.text ?? JSON.stringify(answer.json ?? {});
        res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json', ...answer.headers });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers `METHOD /path` with these answers, in turn. */
  on(route: string, ...answers: Route[]): void {
    this.routes.set(route, answers);
  }

  reset(): void {
    this.routes.clear();
    this.requests.length = 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => {
        resolve();
      });
      this.server?.closeAllConnections();
    });
  }
}
