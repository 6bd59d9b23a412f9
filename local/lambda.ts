/**
 * Lambda functions as worker threads: each function's bundle runs in its own worker with the
 * environment the template gives it, plus what the Lambda runtime adds and the emulators'
 * endpoints. A worker is one execution environment that takes concurrent invocations.
 */
import type { FastForward } from './clock';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { FunctionSpec } from './assembly';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws';

/** A function error as Lambda reports it: the invocation failed with errorType/errorMessage. */
export class LambdaError extends Error {
  override name = 'LambdaError';

  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: string[] = [],
  ) {
    super(`${errorType}: ${errorMessage}`);
  }
}

type ErrorShape = Pick<LambdaError, 'errorType' | 'errorMessage' | 'trace'>;
type WorkerMessage = { type: 'init'; error?: ErrorShape } | { type: 'result'; id: string; payload?: string; error?: ErrorShape };

const workerFile = new URL('./lambda-worker.mjs', import.meta.url);

/** Nothing listens on port 9 (discard) on a development machine: connections are refused. */
const UNEMULATED_ENDPOINT = 'http://127.0.0.1:9';

/** One settled invocation, as a measurement hears of it (bench/scale.ts counts and times them). */
export interface InvocationRecord {
  /** The function's CDK construct id (`RouteLead`). */
  functionId: string;
  /** From the invocation's arrival to its answer, cold start included when it had one. */
  durationMs: number;
  failed: boolean;
}

export interface LocalFunctionOptions {
  /** Endpoints of the emulators by service, e.g. `{ DYNAMODB: url }` -> `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpoints: Record<string, string>;
  log: (line: string) => void;
  /** Hears of every invocation once it is settled. */
  onInvoke?: (invocation: InvocationRecord) => void;
  /** A fast-forward clock (local/clock.ts): the function then reads virtual time from Date. */
  fastForward?: FastForward;
}

/**
 * The environment Lambda gives a function: its template variables and the runtime's own, with
 * local credentials. Every service gets a closed local port, so a call the local cloud does not
 * emulate fails at once instead of reaching AWS.
 */
export function lambdaRuntimeEnv(spec: FunctionSpec): Record<string, string> {
  return {
    ...spec.environment,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
    // Deployed, the function runs on its template runtime; this machine's Node.js is no concern of its SDK.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL: UNEMULATED_ENDPOINT,
    // The SDK sends `app/<id>` in its User-Agent: the local fault proxies tell the calling function by it.
    AWS_SDK_UA_APP_ID: functionConstructId(spec),
  };
}

/**
 * The function's CDK construct id: `RouteLead` of `Lifecycle/RouteLead/Function` (a LeadflowFunction
 * names its inner function `Function`), else its logical id.
 */
export function functionConstructId(spec: Pick<FunctionSpec, 'constructPath' | 'logicalId'>): string {
  const parts = spec.constructPath?.split('/').filter(Boolean) ?? [];
  if (parts.length > 1 && parts.at(-1) === 'Function') parts.pop();
  return parts.at(-1) ?? spec.logicalId;
}

export class LocalFunction {
  readonly label: string;
  private readonly env: Record<string, string>;
  private current: Sandbox | undefined;
  private readonly sandboxes = new Set<Sandbox>();
  private stopped = false;

  constructor(
    readonly spec: FunctionSpec,
    private readonly options: LocalFunctionOptions,
  ) {
    this.label = spec.constructPath ?? spec.logicalId;
    this.env = {
      ...lambdaRuntimeEnv(spec),
      ...Object.fromEntries(Object.entries(options.endpoints).map(([service, url]) => [`AWS_ENDPOINT_URL_${service}`, url])),
    };
  }

  async invoke(event: unknown): Promise<unknown> {
    if (this.stopped) throw new LambdaError('Runtime.Stopped', 'the local cloud is stopping');
    const onInvoke = this.options.onInvoke;
    if (!onInvoke) return this.sandbox().invoke(event);
    const started = performance.now();
    const report = (failed: boolean) => {
      onInvoke({ functionId: functionConstructId(this.spec), durationMs: performance.now() - started, failed });
    };
    return this.sandbox()
      .invoke(event)
      .then(
        (result) => {
          report(false);
          return result;
        },
        (error: unknown) => {
          report(true);
          throw error;
        },
      );
  }

  /**
   * Retires the current environment, as Lambda does after a deploy or when it reclaims an idle
   * one: invocations in flight finish, the next one starts cold. What a function kept in memory
   * (caches, counters) is gone; what must survive has to live in a store.
   */
  recycle(): void {
    this.current?.drain();
    this.current = undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.sandboxes].map((sandbox) => sandbox.terminate()));
  }

  /**
   * The environment taking new invocations. Started on first use, like Lambda's cold start (starting
   * every function's worker up front would cost seconds at start-up); a new one after a crash, a
   * timeout or a failed init.
   */
  private sandbox(): Sandbox {
    if (!this.current) {
      const sandbox = new Sandbox(this.spec, this.env, this.label, this.options.log, this.options.fastForward, () => {
        if (this.current === sandbox) this.current = undefined;
      });
      void sandbox.exited.then(() => {
        this.sandboxes.delete(sandbox);
      });
      this.sandboxes.add(sandbox);
      this.current = sandbox;
    }
    return this.current;
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: LambdaError) => void;
  timer: NodeJS.Timeout;
}

class Sandbox {
  readonly exited: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<string, Pending>();
  private retired = false;

  constructor(
    private readonly spec: FunctionSpec,
    env: Record<string, string>,
    private readonly label: string,
    private readonly log: (line: string) => void,
    fastForward: FastForward | undefined,
    private readonly onRetire: () => void,
  ) {
    this.worker = new Worker(workerFile, {
      env,
      workerData: {
        codeDir: spec.codeDir,
        handler: spec.handler,
        functionName: spec.name,
        functionArn: spec.arn,
        memorySize: spec.memorySize,
        // Its real start is shared memory: the worker sees the clock start whenever it does.
        fastForward,
      },
      // A bare worker: no loader flags from this process (tsx, vitest), a heap capped at the function's memory.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: spec.memorySize },
      stdout: true,
      stderr: true,
    });
    this.forwardLines(this.worker.stdout);
    this.forwardLines(this.worker.stderr);

    this.exited = new Promise((resolve) => {
      this.worker.once('exit', () => {
        resolve();
      });
    });
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'init') {
        if (message.error) {
          this.log(`[${label}] init failed: ${message.error.errorType}: ${message.error.errorMessage}`);
          // Lambda retries the init in a fresh environment on the next invocation.
          this.retire();
        }
        return;
      }
      this.settle(message);
    });
    this.worker.on('error', (error) => {
      this.crash(`crashed: ${error.name}: ${error.message}`);
    });
    this.worker.on('exit', (code) => {
      this.crash(`exited with code ${code}`);
    });
  }

  invoke(event: unknown): Promise<unknown> {
    const id = randomUUID();
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LambdaError('Sandbox.Timedout', `Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`));
        // Lambda discards a timed-out environment: whatever still runs there must not serve another request.
        this.retire();
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ id, event, deadline: Date.now() + timeoutMs });
    });
  }

  /** Ends the worker now; invocations in flight fail. */
  async terminate(): Promise<void> {
    this.retire();
    this.failPending('Runtime.Stopped', 'the local cloud is stopping');
    await this.worker.terminate();
  }

  private settle(message: Extract<WorkerMessage, { type: 'result' }>): void {
    const pending = this.pending.get(message.id);
    if (!pending) return; // it timed out already
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.error) {
      const { errorType, errorMessage, trace } = message.error;
      this.log(`[${this.label}] ERROR ${errorType}: ${errorMessage}`);
      pending.reject(new LambdaError(errorType, errorMessage, trace));
    } else {
      pending.resolve(JSON.parse(message.payload ?? 'null'));
    }
    this.endIfIdle();
  }

  /** No new invocations go here; the worker ends once the ones in flight are settled. */
  drain(): void {
    this.retire();
  }

  private retire(): void {
    if (!this.retired) {
      this.retired = true;
      this.onRetire();
    }
    this.endIfIdle();
  }

  private endIfIdle(): void {
    if (this.retired && this.pending.size === 0) void this.worker.terminate();
  }

  private crash(reason: string): void {
    if (!this.retired) this.log(`[${this.label}] environment ${reason}`);
    this.failPending('Runtime.ExitError', `the function's environment ${reason}`);
    this.retire();
  }

  private failPending(errorType: string, errorMessage: string): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new LambdaError(errorType, errorMessage));
    }
    this.pending.clear();
  }

  /** Function output goes to the cloud's log, a line at a time, tagged with the function (like its log group). */
  private forwardLines(stream: Readable): void {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      this.log(`[${this.label}] ${line}`);
    });
  }
}
