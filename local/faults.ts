/**
 * Fault injection for tests and demos: a proxy in front of SES local that rejects sends to
 * chosen recipients, the way SES rejects a suppressed or invalid address (400 MessageRejected).
 * Functions reach SES only through it (AWS_ENDPOINT_URL_SESV2).
 */
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type RunningServer } from './listen';

interface Fault {
  remaining: number;
  failed: number;
}

export class SesFaults {
  private readonly faults = new Map<string, Fault>();

  /** Fails the next `failures` sends to `recipient`. */
  arm(recipient: string, failures: number): void {
    this.faults.set(recipient.toLowerCase(), { remaining: failures, failed: 0 });
  }

  /** How many sends to `recipient` were failed so far. */
  failedFor(recipient: string): number {
    return this.faults.get(recipient.toLowerCase())?.failed ?? 0;
  }

  /** True (and counted) when a send to one of these recipients must fail now. */
  shouldFail(recipients: string[]): boolean {
    for (const recipient of recipients) {
      const fault = this.faults.get(recipient.toLowerCase());
      if (fault && fault.remaining > 0) {
        fault.remaining -= 1;
        fault.failed += 1;
        return true;
      }
    }
    return false;
  }

  /** The proxy: forwards everything to `target`, except the sends a fault is armed for. */
  async startProxy(target: string): Promise<RunningServer> {
    const serve = async (req: IncomingMessage, res: ServerResponse) => {
      const body = await readBody(req);
      if (req.method === 'POST' && req.url?.startsWith('/v2/email/outbound-emails') && this.shouldFail(recipientsOf(body))) {
        res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' });
        res.end(JSON.stringify({ message: 'Email address rejected (fault injected by the local cloud)' }));
        return;
      }
      pipe(target, req, body, res);
    };
    const server = createServer((req, res) => {
      void serve(req, res);
    });
    return listen(server, 0, 'SES fault proxy');
  }
}

function recipientsOf(body: Buffer): string[] {
  try {
    const request = JSON.parse(body.toString('utf8')) as { Destination?: { ToAddresses?: string[] } };
    return request.Destination?.ToAddresses ?? [];
  } catch {
    return [];
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function pipe(target: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', target);
  const upstream = forward(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', (error) => {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `SES local is unreachable: ${error.message}` }));
  });
  upstream.end(body);
}
