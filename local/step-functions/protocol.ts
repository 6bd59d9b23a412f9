/**
 * The AWS JSON 1.0 protocol of Step Functions, so `@aws-sdk/client-sfn` (in Lambda workers
 * through AWS_ENDPOINT_URL_SFN) talks to the local service as to AWS: `POST /` with
 * `X-Amz-Target: AWSStepFunctions.<Action>`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { JsonObject } from '../step-functions-definition';
import { SfnServiceError } from './errors';
import type { ExecutionDescription, ExecutionListItem, ExecutionStatus, HistoryEvent } from './executions';
import { isObject, parseJson } from './json';

/** The actions served, as the local service implements them. */
export interface SfnApi {
  startExecution(params: { stateMachineArn: string; name?: string; input?: unknown }): { executionArn: string; startDate: Date };
  describeExecution(executionArn: string): ExecutionDescription;
  listExecutions(params: { stateMachineArn: string; statusFilter?: ExecutionStatus }): ExecutionListItem[];
  getExecutionHistory(executionArn: string): HistoryEvent[];
  stopExecution(executionArn: string, params: { error?: string; cause?: string }): { stopDate: Date };
  sendTaskSuccess(taskToken: string, output: string): void;
  sendTaskFailure(taskToken: string, error?: string, cause?: string): void;
  sendTaskHeartbeat(taskToken: string): void;
}

const DEFAULT_PAGE_SIZE = 100;

export function createSfnServer(api: SfnApi, log: (line: string) => void): Server {
  return createServer((req, res) => void handle(api, log, req, res));
}

async function handle(api: SfnApi, log: (line: string) => void, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  };
  try {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith('AWSStepFunctions.')) {
      throw new SfnServiceError('UnknownOperationException', `unsupported request ${req.method} ${target}`);
    }
    const body = await readBody(req);
    const params = body ? parseJson(body, 'SerializationException', 'request body') : {};
    reply(200, toWire(dispatch(api, target.slice('AWSStepFunctions.'.length), isObject(params) ? params : {})));
  } catch (error) {
    if (error instanceof SfnServiceError) {
      reply(400, { __type: error.type, message: error.message });
      return;
    }
    log(`sfn: internal error ${(error as Error).stack ?? String(error)}`);
    reply(500, { __type: 'InternalFailure', message: 'internal error' });
  }
}

function dispatch(api: SfnApi, action: string, p: JsonObject): unknown {
  const str = (key: string): string => {
    const value = p[key];
    if (typeof value !== 'string' || value === '') throw new SfnServiceError('ValidationException', `${key} is required`);
    return value;
  };
  const optional = (key: string): string | undefined => (typeof p[key] === 'string' ? p[key] : undefined);
  switch (action) {
    case 'StartExecution': {
      const name = optional('name');
      return api.startExecution({
        stateMachineArn: str('stateMachineArn'),
        input: optional('input') ?? '{}',
        ...(name !== undefined && { name }),
      });
    }
    case 'DescribeExecution':
      return api.describeExecution(str('executionArn'));
    case 'ListExecutions': {
      const statusFilter = optional('statusFilter') as ExecutionStatus | undefined;
      const { items, nextToken } = page(
        api.listExecutions({ stateMachineArn: str('stateMachineArn'), ...(statusFilter && { statusFilter }) }),
        p,
      );
      return { executions: items, ...(nextToken && { nextToken }) };
    }
    case 'GetExecutionHistory': {
      const { items, nextToken } = page(api.getExecutionHistory(str('executionArn')), p);
      return { events: items, ...(nextToken && { nextToken }) };
    }
    case 'StopExecution': {
      const error = optional('error');
      const cause = optional('cause');
      return api.stopExecution(str('executionArn'), { ...(error !== undefined && { error }), ...(cause !== undefined && { cause }) });
    }
    case 'SendTaskSuccess':
      api.sendTaskSuccess(str('taskToken'), str('output'));
      return {};
    case 'SendTaskFailure':
      api.sendTaskFailure(str('taskToken'), optional('error'), optional('cause'));
      return {};
    case 'SendTaskHeartbeat':
      api.sendTaskHeartbeat(str('taskToken'));
      return {};
    default:
      throw new SfnServiceError('UnknownOperationException', `${action} is not supported by the local Step Functions`);
  }
}

/** `nextToken` is the offset of the next page. */
function page<T>(items: T[], params: JsonObject): { items: T[]; nextToken?: string } {
  const start = typeof params.nextToken === 'string' ? Number.parseInt(params.nextToken, 10) || 0 : 0;
  const size = typeof params.maxResults === 'number' && params.maxResults > 0 ? Math.min(params.maxResults, 1000) : DEFAULT_PAGE_SIZE;
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length && { nextToken: String(end) }) };
}

/** JSON 1.0 sends timestamps as epoch seconds. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toWire(v)]),
    );
  }
  return value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
