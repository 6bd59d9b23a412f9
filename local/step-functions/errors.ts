/** An error answered to API callers with AWS's `__type` (e.g. `ExecutionAlreadyExists`). */
export class SfnServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/**
 * Errors thrown into the library: `name` is the Step Functions error name, `message` the cause.
 * The library reads `isRetryable`/`isCatchable` to honour Retry and Catch.
 */
export class StatesError extends Error {
  constructor(
    name: string,
    cause: string,
    readonly isRetryable = true,
    readonly isCatchable = true,
  ) {
    super(cause);
    this.name = name;
  }
}

export const runtimeError = (cause: string) => new StatesError('States.Runtime', cause, false, false);
export const executionEnded = () => new StatesError('States.Runtime', 'the execution has ended', false, false);
