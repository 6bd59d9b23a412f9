import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { constants, homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where output goes: process.stdout and process.stderr, or a test's collector. */
export interface Output {
  write(text: string): unknown;
  /** A terminal: progress bars redraw in place; otherwise progress is plain lines. */
  isTTY?: boolean;
  columns?: number;
}

/**
 * Everything the CLI takes from its surroundings, so that tests run it in-process with their own
 * environment, output, HTTP stub and clock, and read the exit code it returns.
 */
export interface CliContext {
  env: Record<string, string | undefined>;
  stdout: Output;
  stderr: Output;
  fetch: typeof fetch;
  homeDir: string;
  /** The package's root: the local cloud's data directory (`.leadflow/`) and `local/main.ts` are here. */
  packageRoot: string;
  sleep(ms: number): Promise<void>;
  /** Between two reads of a campaign's or a job's progress. */
  pollIntervalMs: number;
  newIdempotencyKey(): string;
  /** Runs the local cloud in the foreground with these arguments; resolves to its exit code. */
  runLocalCloud(args: string[]): Promise<number>;
}

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function processContext(): CliContext {
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    fetch: globalThis.fetch,
    homeDir: homedir(),
    packageRoot,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    pollIntervalMs: 1000,
    newIdempotencyKey: randomUUID,
    runLocalCloud: (args) => runLocalCloud(packageRoot, args),
  };
}

/** `tsx local/main.ts <args>` from the package root with this terminal, exactly what `npm start` runs. */
function runLocalCloud(root: string, args: string[]): Promise<number> {
  const tsxCli = createRequire(path.join(root, 'package.json')).resolve('tsx/cli');
  const child = spawn(process.execPath, [tsxCli, 'local/main.ts', ...args], { cwd: root, stdio: 'inherit' });
  // Ctrl-C reaches the local cloud from the terminal itself (same process group): this process must
  // outlive it to pass on its exit code. A SIGTERM sent to this process alone is passed on.
  const ignoreInterrupt = () => undefined;
  const forwardTerminate = () => child.kill('SIGTERM');
  process.on('SIGINT', ignoreInterrupt);
  process.on('SIGTERM', forwardTerminate);
  return new Promise((resolve) => {
    const done = (code: number) => {
      process.off('SIGINT', ignoreInterrupt);
      process.off('SIGTERM', forwardTerminate);
      resolve(code);
    };
    child.once('error', () => {
      done(1);
    });
    // A shell reports a process ended by a signal as 128 + the signal's number.
    child.once('exit', (code, signal) => {
      done(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
