/**
 * The local cloud's control plane (not part of the deployed API): lists running workflow
 * executions, triggers schedules on demand, and arms SES faults for tests.
 *
 *   GET  /executions                     running and recent executions with their current state
 *   POST /schedules/{ruleLogicalId}      runs a schedule now
 *   POST /faults/ses {recipient, failures}   GET /faults/ses?recipient=
 *   POST /faults/dynamodb {mode: off|throttle|refuse|stall}   GET /faults/dynamodb (mode, faulted counts, bounded)
 *   POST /faults/dynamodb {mode: throttle, calls: N, functions?: [RouteLead...], operations?: [PutItem...]}
 *                                        throttles the next N matching calls (functions by CDK construct id), then off
 *   POST /faults/stepfunctions {failures}   the next SendTaskSuccess calls throttled; GET: how many were
 *   POST /functions/recycle              every function's next invocation starts cold (a restart)
 *   GET  /services                       the supervised child services: DynamoDB Local's pid, restarts of each
 *   POST /services/ses/crash             closes the SES emulator as a crash would (the supervisor restarts it);
 *                                        for DynamoDB Local, kill the pid GET /services names
 *   GET  /stages                         each HTTP API's routes and stage throttle
 *   PUT  /stages/{apiLogicalId}/throttle {rateLimit, burstLimit}   as UpdateStage's DefaultRouteSettings would;
 *   DELETE the same: back to the template's
 *   GET  /ses/messages                   the messages sent through SES local, with the SES events published for each
 *   POST /ses/messages/{messageId}/events {type: open|click|bounce|complaint, bounceType?, link?}
 *                                        publishes that SES event (as SES would) and answers once the rule targets ran
 *   GET  /mailbox                        a page listing the messages, with buttons that mark them opened, clicked...
 *   GET  /events/dead-letters            events the local bus's rule targets failed for good
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type RunningServer } from './listen';
import { dynamoFaultModes, type DynamoFaults, type SesFaults } from './faults';
import type { LocalEventBus } from './event-bus';
import type { RunningHttpApi } from './http-api';
import { mailboxPage } from './mailbox-page';
import { readMailbox } from './ses';
import { bounceTypes, markableEvents, UnknownMessageError, type LocalSesEvents, type MarkRequest } from './ses-events';
import type { LocalStepFunctions } from './step-functions';

export interface ControlPlane {
  stepFunctions: LocalStepFunctions;
  stateMachines: Array<{ name: string; arn: string }>;
  triggerSchedule(ruleLogicalId: string): Promise<unknown>;
  sesFaults: SesFaults;
  sesEvents: LocalSesEvents;
  eventBus: Pick<LocalEventBus, 'deadLetters'>;
  /** SES local's store (the subjects on the mailbox page). */
  mailboxStoreUrl: string;
  dynamoFaults: DynamoFaults;
  /** The construct ids of the functions (what a bounded fault's `functions` may name). */
  functionNames: string[];
  /** Retires every function's environment; answers how many functions were recycled. */
  recycleFunctions(): number;
  httpApi: Pick<RunningHttpApi, 'throttles' | 'setThrottle'>;
  services: {
    dynamodb: { pid(): number | undefined; restarts(): number };
    ses: { restarts(): number; crash(): void };
  };
}

export async function startControl(plane: ControlPlane, port = 0): Promise<RunningServer> {
  const server = createServer((req, res) => {
    handle(plane, req, res).catch((error: unknown) => {
      send(res, 500, { message: error instanceof Error ? error.message : String(error) });
    });
  });
  return listen(server, port, 'control plane');
}

async function handle(plane: ControlPlane, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  if (req.method === 'GET' && url.pathname === '/executions') {
    const status = url.searchParams.get('status') ?? undefined;
    const executions = plane.stateMachines.flatMap((machine) =>
      plane.stepFunctions
        .listExecutions({ stateMachineArn: machine.arn, statusFilter: status as never })
        .map((execution) => ({ stateMachine: machine.name, ...execution })),
    );
    send(res, 200, { executions });
    return;
  }
  const [, schedule] = /^\/schedules\/([^/]+)$/.exec(url.pathname) ?? [];
  if (req.method === 'POST' && schedule !== undefined) {
    send(res, 200, { result: await plane.triggerSchedule(decodeURIComponent(schedule)) });
    return;
  }
  if (url.pathname === '/faults/ses') {
    if (req.method === 'GET') {
      send(res, 200, { failed: plane.sesFaults.failedFor(url.searchParams.get('recipient') ?? '') });
      return;
    }
    if (req.method === 'POST') {
      const body = JSON.parse(await readText(req)) as { recipient?: string; failures?: number };
      if (typeof body.recipient !== 'string' || typeof body.failures !== 'number' || !Number.isInteger(body.failures)) {
        send(res, 400, { message: 'send {"recipient": "<address>", "failures": <count>}' });
        return;
      }
      plane.sesFaults.arm(body.recipient, body.failures);
      res.writeHead(204).end();
      return;
    }
  }
  if (url.pathname === '/faults/stepfunctions') {
    if (req.method === 'GET') {
      send(res, 200, { failed: plane.stepFunctions.taskSuccessesFailed });
      return;
    }
    if (req.method === 'POST') {
      const body = JSON.parse(await readText(req)) as { failures?: number };
      if (typeof body.failures !== 'number' || !Number.isInteger(body.failures) || body.failures < 0) {
        send(res, 400, { message: 'send {"failures": <count of SendTaskSuccess calls to throttle>}' });
        return;
      }
      plane.stepFunctions.failTaskSuccesses(body.failures);
      res.writeHead(204).end();
      return;
    }
  }
  if (req.method === 'GET' && url.pathname === '/ses/messages') {
    send(res, 200, { messages: plane.sesEvents.messages() });
    return;
  }
  const [, marked] = /^\/ses\/messages\/([^/]+)\/events$/.exec(url.pathname) ?? [];
  if (req.method === 'POST' && marked !== undefined) {
    const request = markRequest(await readText(req));
    if (typeof request === 'string') {
      send(res, 400, { message: request });
      return;
    }
    const messageId = decodeURIComponent(marked);
    try {
      send(res, 200, { messageId, ...(await plane.sesEvents.mark(messageId, request)) });
    } catch (error) {
      if (!(error instanceof UnknownMessageError)) throw error;
      send(res, 404, { message: error.message });
    }
    return;
  }
  if (req.method === 'GET' && url.pathname === '/mailbox') {
    const stored = await readMailbox(plane.mailboxStoreUrl).catch(() => []);
    const subjects = new Map(stored.map((email) => [email.messageId, email.subject]));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(mailboxPage(plane.sesEvents.messages(), subjects));
    return;
  }
  if (req.method === 'GET' && url.pathname === '/events/dead-letters') {
    send(res, 200, { deadLetters: plane.eventBus.deadLetters });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/functions/recycle') {
    send(res, 200, { recycled: plane.recycleFunctions() });
    return;
  }
  if (url.pathname === '/faults/dynamodb') {
    if (req.method === 'GET') {
      send(res, 200, { mode: plane.dynamoFaults.mode, faulted: plane.dynamoFaults.faulted, bounded: plane.dynamoFaults.bounded ?? null });
      return;
    }
    if (req.method === 'POST') {
      const body = JSON.parse(await readText(req)) as { mode?: unknown; calls?: unknown; functions?: unknown; operations?: unknown };
      const mode = dynamoFaultModes.find((candidate) => candidate === body.mode);
      if (!mode) {
        send(res, 400, { message: `send {"mode": "${dynamoFaultModes.join('" | "')}"}` });
        return;
      }
      if (body.calls !== undefined || body.functions !== undefined || body.operations !== undefined) {
        const problem = boundedThrottleProblem(body, mode, plane.functionNames);
        if (problem) {
          send(res, 400, { message: problem });
          return;
        }
        plane.dynamoFaults.throttleNext({
          calls: body.calls as number,
          ...(body.functions !== undefined && { functions: body.functions as string[] }),
          ...(body.operations !== undefined && { operations: body.operations as string[] }),
        });
        res.writeHead(204).end();
        return;
      }
      plane.dynamoFaults.set(mode);
      res.writeHead(204).end();
      return;
    }
  }
  if (req.method === 'GET' && url.pathname === '/services') {
    const { dynamodb, ses } = plane.services;
    send(res, 200, { dynamodb: { pid: dynamodb.pid() ?? null, restarts: dynamodb.restarts() }, ses: { restarts: ses.restarts() } });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/services/ses/crash') {
    plane.services.ses.crash();
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'GET' && url.pathname === '/stages') {
    send(res, 200, { stages: plane.httpApi.throttles() });
    return;
  }
  const [, throttled] = /^\/stages\/([^/]+)\/throttle$/.exec(url.pathname) ?? [];
  if (throttled !== undefined && (req.method === 'PUT' || req.method === 'DELETE')) {
    const apiLogicalId = decodeURIComponent(throttled);
    if (!plane.httpApi.throttles().some((stage) => stage.apiLogicalId === apiLogicalId)) {
      send(res, 404, { message: `no HTTP API ${apiLogicalId}` });
      return;
    }
    if (req.method === 'DELETE') {
      plane.httpApi.setThrottle(apiLogicalId, undefined);
      res.writeHead(204).end();
      return;
    }
    const body = JSON.parse(await readText(req)) as { rateLimit?: unknown; burstLimit?: unknown };
    const { rateLimit, burstLimit } = body;
    if (
      typeof rateLimit !== 'number' ||
      !(rateLimit > 0) ||
      typeof burstLimit !== 'number' ||
      !Number.isInteger(burstLimit) ||
      burstLimit < 1
    ) {
      send(res, 400, { message: 'send {"rateLimit": <requests per second>, "burstLimit": <whole requests>}' });
      return;
    }
    plane.httpApi.setThrottle(apiLogicalId, { rateLimit, burstLimit });
    res.writeHead(204).end();
    return;
  }
  send(res, 404, { message: 'Not Found' });
}

/** Why a bounded throttle request is wrong, if it is: a typo in a function name must not silently match nothing. */
function boundedThrottleProblem(
  body: { calls?: unknown; functions?: unknown; operations?: unknown },
  mode: string,
  functionNames: string[],
): string | undefined {
  if (mode !== 'throttle') return 'calls, functions and operations go with {"mode": "throttle"}';
  if (typeof body.calls !== 'number' || !Number.isInteger(body.calls) || body.calls < 1) return 'calls must be a positive whole number';
  const strings = (value: unknown) => Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string');
  if (body.functions !== undefined) {
    if (!strings(body.functions)) return 'functions must be a non-empty list of function construct ids';
    const unknown = (body.functions as string[]).filter((name) => !functionNames.includes(name));
    if (unknown.length > 0) return `no function ${unknown.join(', ')} (functions: ${functionNames.join(', ')})`;
  }
  if (body.operations !== undefined && !strings(body.operations))
    return 'operations must be a non-empty list of DynamoDB operations (PutItem...)';
  return undefined;
}

/** The body of POST /ses/messages/{id}/events, or what is wrong with it (naming the field). */
function markRequest(text: string): MarkRequest | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'send a JSON body {"type": "open" | "click" | "bounce" | "complaint", "bounceType"?, "link"?}';
  }
  const { type, bounceType, link: clicked } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const markable = markableEvents.find((candidate) => candidate === type);
  if (!markable) return `type must be one of ${markableEvents.join(', ')}`;
  const bounce = bounceTypes.find((candidate) => candidate === bounceType);
  if (bounceType !== undefined && (markable !== 'bounce' || !bounce))
    return `bounceType goes with type bounce and is one of ${bounceTypes.join(', ')}`;
  if (clicked !== undefined && (markable !== 'click' || typeof clicked !== 'string' || !/^https?:\/\//.test(clicked))) {
    return 'link goes with type click and is an http(s) URL';
  }
  const request: MarkRequest = { type: markable };
  if (bounce) request.bounceType = bounce;
  if (typeof clicked === 'string') request.link = clicked;
  return request;
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
