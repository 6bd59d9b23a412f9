/**
 * Task tokens for `.waitForTaskToken` tasks. A token answers once: afterwards, and once its task
 * is over however it ended, AWS answers TaskTimedOut for it, and InvalidToken for one it never issued.
 */
import { randomBytes } from 'node:crypto';
import type { Json } from '../step-functions-definition';
import { SfnServiceError, StatesError } from './errors';
import type { Execution } from './executions';
import { isObject, parseJson } from './json';

/** `$$.Task.Token` resolves to this in Parameters; the Task handler swaps in a fresh token. */
export const TASK_TOKEN_PLACEHOLDER = 'local-sfn-task-token-placeholder';

interface TokenWaiter {
  execution: Execution;
  resolve: (output: Json) => void;
  reject: (error: Error) => void;
}

export class TaskTokens {
  private readonly waiters = new Map<string, TokenWaiter>();
  private readonly spent = new Set<string>();

  /** A fresh token and the answer it will receive; the waiter exists before anyone can answer. */
  issue(execution: Execution): { token: string; answer: Promise<Json> } {
    const token = randomBytes(48).toString('base64url');
    const answer = new Promise<Json>((resolve, reject) => {
      this.waiters.set(token, { execution, resolve, reject });
    });
    return { token, answer };
  }

  /**
   * Takes up a token issued before a restart, for a restored execution: the application stored
   * it and will answer with it, so the same token must be waited on again.
   */
  adopt(execution: Execution, token: string): Promise<Json> {
    return new Promise<Json>((resolve, reject) => {
      this.waiters.set(token, { execution, resolve, reject });
    });
  }

  succeed(token: string, output: string): void {
    const value = parseJson(output, 'InvalidOutput', 'output');
    this.take(token).resolve(value);
  }

  fail(token: string, error?: string, cause?: string): void {
    this.take(token).reject(new StatesError(error ?? '', cause ?? ''));
  }

  /** There is no HeartbeatSeconds locally (definitions using it are rejected): only the token is checked. */
  heartbeat(token: string): void {
    this.waiter(token);
  }

  isWaiting(token: string): boolean {
    return this.waiters.has(token);
  }

  spend(token: string): void {
    this.waiters.delete(token);
    this.spent.add(token);
  }

  spendAllOf(execution: Execution): void {
    for (const [token, waiter] of this.waiters) {
      if (waiter.execution === execution) this.spend(token);
    }
  }

  private waiter(token: string): TokenWaiter {
    const waiter = this.waiters.get(token);
    if (waiter) return waiter;
    if (this.spent.has(token)) {
      throw new SfnServiceError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    throw new SfnServiceError('InvalidToken', 'Invalid Token');
  }

  /** The second SendTask* with a token gets TaskTimedOut, as on AWS. */
  private take(token: string): TokenWaiter {
    const waiter = this.waiter(token);
    this.spend(token);
    return waiter;
  }
}

/** Replaces the placeholder with the real token wherever `$$.Task.Token` was used in the Parameters. */
export function withToken(value: Json, token: string): Json {
  if (typeof value === 'string') return value.replaceAll(TASK_TOKEN_PLACEHOLDER, token);
  if (Array.isArray(value)) return value.map((item) => withToken(item, token));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withToken(v, token)]));
  return value;
}
