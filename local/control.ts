/**
 * The local cloud's control plane (not part of the deployed API): lists running workflow
 * executions, triggers schedules on demand, and arms SES faults for tests.
 *
 *   GET  /executions                     running and recent executions with their current state
 *   POST /schedules/{ruleLogicalId}      runs a schedule now
 *   POST /faults/ses {recipient, failures}   GET /faults/ses?recipient=
 *   POST /faults/dynamodb {mode: off|throttle|refuse|stall}   GET /faults/dynamodb (mode, faulted counts)
 *   POST /functions/recycle              every function's next invocation starts cold (a restart)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type RunningServer } from './listen';
import { dynamoFaultModes, type DynamoFaults, type SesFaults } from './faults';
import type { LocalStepFunctions } from './step-functions';

export interface ControlPlane {
  stepFunctions: LocalStepFunctions;
  stateMachines: Array<{ name: string; arn: string }>;
  triggerSchedule(ruleLogicalId: string): Promise<unknown>;
  sesFaults: SesFaults;
  dynamoFaults: DynamoFaults;
  /** Retires every function's environment; answers how many functions were recycled. */
  recycleFunctions(): number;
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
  if (req.method === 'POST' && url.pathname === '/functions/recycle') {
    send(res, 200, { recycled: plane.recycleFunctions() });
    return;
  }
  if (url.pathname === '/faults/dynamodb') {
    if (req.method === 'GET') {
      send(res, 200, { mode: plane.dynamoFaults.mode, faulted: plane.dynamoFaults.faulted });
      return;
    }
    if (req.method === 'POST') {
      const body = JSON.parse(await readText(req)) as { mode?: unknown };
      const mode = dynamoFaultModes.find((candidate) => candidate === body.mode);
      if (!mode) {
        send(res, 400, { message: `send {"mode": "${dynamoFaultModes.join('" | "')}"}` });
        return;
      }
      plane.dynamoFaults.set(mode);
      res.writeHead(204).end();
      return;
    }
  }
  send(res, 404, { message: 'Not Found' });
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
