/**
 * The CLI's failures, each with its exit code: scripts tell a bad invocation (2) from an API or
 * network failure (1) without reading the message.
 */

export const EXIT_OK = 0;
export const EXIT_API_ERROR = 1;
export const EXIT_USAGE = 2;

/** The command line is wrong: an unknown command or option, a missing or malformed argument, an unreadable file. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
  override name = 'UsageError';
}

/** The local cloud, run by `leadflow start`, ended badly: its exit code is the CLI's. */
export class LocalCloudExit extends Error {
  override name = 'LocalCloudExit';
  constructor(readonly exitCode: number) {
    super(`the local cloud exited with code ${exitCode}`);
  }
}

/** The API (or the network to it) failed, or an operation it runs ended badly. */
export class ApiError extends Error {
  readonly exitCode = EXIT_API_ERROR;
  override name = 'ApiError';
  constructor(
    message: string,
    /** The HTTP status; undefined when no answer came. */
    readonly status?: number,
    /** The API's stable error code (`not_found`), when it sent one. */
    readonly code?: string,
  ) {
    super(message);
  }
}
