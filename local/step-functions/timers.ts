import { executionEnded, StatesError } from './errors';

/** setTimeout fires at once above this many milliseconds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Sleeps `ms` (any length: long waits are re-armed below setTimeout's limit); rejects when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(executionEnded());
      return;
    }
    const due = Date.now() + ms;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(executionEnded());
    };
    const arm = () => {
      const left = due - Date.now();
      if (left > 0) {
        timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
        return;
      }
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(ms)) arm();
  });
}

/** Races `work` against a States.Timeout after `timeoutMs` (none when undefined) and the end of the execution. */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number | undefined, ended: AbortSignal): Promise<T> {
  const done = new AbortController();
  const deadline = sleep(timeoutMs ?? Number.POSITIVE_INFINITY, AbortSignal.any([ended, done.signal])).then(() => {
    throw new StatesError('States.Timeout', 'The task timed out');
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    done.abort();
    deadline.catch(() => {});
  }
}
