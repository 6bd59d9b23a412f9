import type { Connection } from './config';
import type { CliContext } from './context';
import { ApiError } from './errors';

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Default `application/json`. */
  accept?: string;
}

export interface Answer<T> {
  status: number;
  /** The parsed JSON body (undefined for a non-JSON one). */
  json: T;
  text: string;
}

/** 429 (the gateway's throttle) and 503 (the store or SES busy) both mean nothing happened: worth a retry. */
const RETRIED_STATUSES = new Set([429, 503]);
const ATTEMPTS = 3;
/** A `Retry-After` longer than this is not waited for by a command line. */
const MAX_RETRY_WAIT_MS = 5000;

/**
 * The one way the CLI talks to the API. Turns every failure into one line: the API's JSON errors
 * (`{"error": {code, message, details}}`), the gateway's (`{"message": "Unauthorized"}`), and no
 * answer at all.
 */
export class ApiClient {
  constructor(
    private readonly connection: Connection,
    private readonly context: CliContext,
  ) {}

  get url(): string {
    return this.connection.url;
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    return this.request<T>('GET', path, options);
  }

  /**
   * A write carries an `Idempotency-Key`, the same on each retry: a retried write has no second
   * effect on the routes that honour it (stage moves, owner changes, events), and the rest ignore it.
   */
  write<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    return this.request<T>(method, path, options, this.context.newIdempotencyKey());
  }

  private async request<T>(method: string, path: string, options: RequestOptions, idempotencyKey?: string): Promise<Answer<T>> {
    const target = new URL(this.connection.url + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) target.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json', 'user-agent': 'leadflow-cli' };
    if (this.connection.key !== undefined) headers.authorization = `Bearer ${this.connection.key}`;
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const init: RequestInit = { method, headers, ...(options.body !== undefined && { body: JSON.stringify(options.body) }) };
    const shown = `${method} ${path}`;

    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.context.fetch(target, init);
      } catch (error) {
        throw new ApiError(`cannot reach ${this.connection.url}: ${networkReason(error)}${this.startHint()}`);
      }
      const text = await response.text();
      if (response.ok) return { status: response.status, json: parseJson(text) as T, text };
      if (attempt < ATTEMPTS && RETRIED_STATUSES.has(response.status)) {
        await this.context.sleep(retryDelayMs(response.headers.get('retry-after'), attempt));
        continue;
      }
      throw this.failure(response, text, shown);
    }
  }

  private failure(response: Response, text: string, shown: string): ApiError {
    const body = parseJson(text);
    const apiError = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    if (apiError && typeof apiError.code === 'string') {
      const details = Array.isArray(apiError.details) ? apiError.details.filter(isRecord).map(detailText) : [];
      const message = `${String(apiError.message)}${details.length > 0 ? ` (${details.join('; ')})` : ''}`;
      return new ApiError(`${response.status} ${apiError.code}: ${message} [${shown}]`, response.status, apiError.code);
    }
    // API Gateway's own answers carry only a message; say what it means for this command.
    const message = isRecord(body) && typeof body.message === 'string' ? body.message : response.statusText || 'error';
    return new ApiError(`${response.status} ${message}${this.gatewayHint(response.status)} [${shown}]`, response.status);
  }

  private gatewayHint(status: number): string {
    if (status === 401) {
      return this.connection.key === undefined
        ? ': no API key given (pass --key, set LEADFLOW_API_KEY or put it in a profile)'
        : `: the API key (from the ${this.connection.keySource}) is unknown, revoked or expired`;
    }
    if (status === 403) return ': the API key lacks the scope this command needs';
    return '';
  }

  private startHint(): string {
    const { hostname } = new URL(this.connection.url);
    return ['127.0.0.1', 'localhost'].includes(hostname) ? ' (is the local cloud running? npx leadflow start)' : '';
  }
}

function detailText(detail: Record<string, unknown>): string {
  return typeof detail.path === 'string' && detail.path !== '' ? `${detail.path}: ${String(detail.message)}` : String(detail.message);
}

function retryDelayMs(retryAfter: string | null, attempt: number): number {
  const seconds = Number(retryAfter);
  return retryAfter !== null && Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_WAIT_MS) : 500 * attempt;
}

function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = isRecord(cause) && typeof cause.code === 'string' ? cause.code : undefined;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND') return 'unknown host';
  return cause instanceof Error ? cause.message : String(cause);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
