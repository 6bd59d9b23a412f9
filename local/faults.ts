/**
 * Fault injection for tests and demos. Functions reach SES and DynamoDB only through these
 * proxies (AWS_ENDPOINT_URL_SESV2, AWS_ENDPOINT_URL_DYNAMODB), so a test can make the services
 * fail the way they fail on AWS:
 * - SES rejects sends to chosen recipients, as it rejects a suppressed or invalid address
 *   (400 MessageRejected);
 * - DynamoDB throttles (400 ProvisionedThroughputExceededException), refuses connections, or
 *   stalls: requests hang, and when the stall ends they reach the table late, after the caller
 *   may have given up on them (the case where a write the client saw fail did land).
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

  /**
   * The proxy: forwards everything to `target`, except the sends a fault is armed for. `onSent`
   * hears of every send SES local accepted (the request body and SES's MessageId): the local
   * cloud publishes its SES events from there (local/ses-events.ts).
   */
  async startProxy(target: string, onSent?: (body: string, messageId: string) => void): Promise<RunningServer> {
    const serve = async (req: IncomingMessage, res: ServerResponse) => {
      const body = await readBody(req);
      const send = req.method === 'POST' && req.url?.startsWith('/v2/email/outbound-emails');
      if (send && this.shouldFail(recipientsOf(body))) {
        res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' });
        res.end(JSON.stringify({ message: 'Email address rejected (fault injected by the local cloud)' }));
        return;
      }
      const reportSent = (answer: { status: number; body: Buffer }) => {
        const messageId = sentMessageId(answer);
        if (messageId) onSent?.(body.toString('utf8'), messageId);
      };
      pipe(target, req, body, res, send && onSent ? reportSent : undefined);
    };
    const server = createServer((req, res) => {
      void serve(req, res);
    });
    return listen(server, 0, 'SES fault proxy');
  }
}

/** How the DynamoDB proxy treats requests: pass them, throttle them, reset them, or hold them. */
export type DynamoFaultMode = 'off' | 'throttle' | 'refuse' | 'stall';
export const dynamoFaultModes: readonly DynamoFaultMode[] = ['off', 'throttle', 'refuse', 'stall'];

/**
 * Throttles the next `calls` matching requests, then nothing more. A request's function is the
 * `app/<id>` of its User-Agent: the local Lambda runner gives each function
 * `AWS_SDK_UA_APP_ID=<its CDK construct id>` (`RouteLead`), which the SDK sends.
 */
export interface BoundedThrottle {
  calls: number;
  /** Construct ids (`RouteLead`); none: every function. */
  functions?: string[];
  /** DynamoDB operations (`PutItem`, `TransactWriteItems`); none: every operation. */
  operations?: string[];
}

export interface BoundedThrottleReport extends Required<BoundedThrottle> {
  remaining: number;
  throttled: number;
  byFunction: Record<string, number>;
  byOperation: Record<string, number>;
}

/** One request a function made to DynamoDB and its answer, as a measurement hears of it (bench/scale.ts). */
export interface DynamoDbExchange {
  /** The calling function's construct id (`RouteLead`), '' when unknown. */
  functionId: string;
  /** `PutItem`, `Query`... (the X-Amz-Target's operation). */
  operation: string;
  /** The request's and the answer's JSON bodies, as sent. */
  request: string;
  status: number;
  response: string;
}

export class DynamoFaults {
  private current: DynamoFaultMode = 'off';
  private readonly held: Array<() => void> = [];
  private armed: BoundedThrottleReport | undefined;
  /** Requests answered with a fault, by mode, since the proxy started. */
  readonly faulted: Record<DynamoFaultMode, number> = { off: 0, throttle: 0, refuse: 0, stall: 0 };

  get mode(): DynamoFaultMode {
    return this.current;
  }

  /** The last bounded throttle armed, with what it throttled so far. */
  get bounded(): BoundedThrottleReport | undefined {
    return this.armed && structuredClone(this.armed);
  }

  /** Sets the mode; leaving `stall` lets the held requests through, late. Any mode disarms a bounded throttle. */
  set(mode: DynamoFaultMode): void {
    this.current = mode;
    if (this.armed) this.armed.remaining = 0;
    if (mode !== 'stall') for (const release of this.held.splice(0)) release();
  }

  /** Throttles the next `calls` matching requests (mode `off` otherwise). */
  throttleNext(throttle: BoundedThrottle): void {
    this.set('off');
    this.armed = {
      calls: throttle.calls,
      functions: throttle.functions ?? [],
      operations: throttle.operations ?? [],
      remaining: throttle.calls,
      throttled: 0,
      byFunction: {},
      byOperation: {},
    };
  }

  /** True (and counted) when this request is one the bounded throttle takes. */
  private takenByBounded(req: IncomingMessage): boolean {
    const armed = this.armed;
    if (!armed || armed.remaining <= 0) return false;
    const fn = callerOf(req);
    const operation = operationOf(req);
    if (armed.functions.length > 0 && !armed.functions.includes(fn)) return false;
    if (armed.operations.length > 0 && !armed.operations.includes(operation)) return false;
    armed.remaining -= 1;
    armed.throttled += 1;
    armed.byFunction[fn] = (armed.byFunction[fn] ?? 0) + 1;
    armed.byOperation[operation] = (armed.byOperation[operation] ?? 0) + 1;
    return true;
  }

  /** The proxy; `onExchange` (when given) hears of every request that reached DynamoDB Local, with its answer. */
  async startProxy(target: string, onExchange?: (exchange: DynamoDbExchange) => void): Promise<RunningServer> {
    const serve = async (req: IncomingMessage, res: ServerResponse) => {
      const body = await readBody(req);
      if (this.current === 'stall') {
        this.faulted.stall += 1;
        await new Promise<void>((resolve) => this.held.push(resolve));
      }
      if (this.current === 'throttle' || this.takenByBounded(req)) {
        this.faulted.throttle += 1;
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'ProvisionedThroughputExceededException' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            message: 'The level of configured provisioned throughput for the table was exceeded (fault injected by the local cloud)',
          }),
        );
        return;
      }
      if (this.current === 'refuse') {
        this.faulted.refuse += 1;
        req.socket.destroy();
        return;
      }
      const reportExchange = (answer: { status: number; body: Buffer }) => {
        onExchange?.({
          functionId: callerOf(req),
          operation: operationOf(req),
          request: body.toString('utf8'),
          status: answer.status,
          response: answer.body.toString('utf8'),
        });
      };
      pipe(target, req, body, res, onExchange && reportExchange);
    };
    const server = createServer((req, res) => {
      void serve(req, res);
    });
    return listen(server, 0, 'DynamoDB fault proxy');
  }
}

/**
 * The calling function's construct id, from the SDK's `app/<id>` User-Agent entry ('' for a caller
 * without one). Powertools appends its own tag to the app id (`app/RouteLead-PT-NO-OP-2.36.0-...`):
 * construct ids have no `-`, so the id ends at the first one.
 */
export function callerOf(req: Pick<IncomingMessage, 'headers'>): string {
  const agent = [req.headers['user-agent'], req.headers['x-amz-user-agent']].flat().join(' ');
  return /(?:^|\s)app\/([^\s-]+)/.exec(agent)?.[1] ?? '';
}

/** `PutItem` of `X-Amz-Target: DynamoDB_20120810.PutItem`. */
function operationOf(req: Pick<IncomingMessage, 'headers'>): string {
  return String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
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

/** SES's MessageId in a successful SendEmail answer. */
function sentMessageId(answer: { status: number; body: Buffer }): string | undefined {
  if (answer.status !== 200) return undefined;
  try {
    return (JSON.parse(answer.body.toString('utf8')) as { MessageId?: string }).MessageId;
  } catch {
    return undefined;
  }
}

/** Forwards a request; `onAnswer` (when given) also gets the whole answer once it was passed on. */
function pipe(
  target: string,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  onAnswer?: (answer: { status: number; body: Buffer }) => void,
): void {
  const url = new URL(req.url ?? '/', target);
  const upstream = forward(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    if (!onAnswer) {
      answer.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    answer.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      res.write(chunk);
    });
    answer.on('end', () => {
      res.end();
      onAnswer({ status: answer.statusCode ?? 502, body: Buffer.concat(chunks) });
    });
  });
  upstream.on('error', (error) => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `the emulator is unreachable: ${error.message}` }));
  });
  upstream.end(body);
}
