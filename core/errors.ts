/**
 * Domain errors. Each carries a stable `name` (Step Functions `Catch` matches on it), a `kind`
 * that says what went wrong in the domain's terms, and a `code` for clients. The domain knows no
 * transport: the HTTP layer maps kinds to statuses in one place.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'precondition_required'
  | 'too_large'
  | 'unsupported_format'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable';

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  abstract readonly code: string;
  readonly details: ErrorDetail[];

  constructor(message: string, details: ErrorDetail[] = [], options?: ErrorOptions) {
    super(message, options);
    this.details = details;
  }
}

export class ValidationError extends DomainError {
  readonly kind = 'invalid';
  readonly code = 'validation_failed';
  constructor(message: string, details: ErrorDetail[] = [], options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'ValidationError';
  }
}

export class UnauthorizedError extends DomainError {
  readonly kind = 'unauthenticated';
  readonly code = 'unauthorized';
  constructor(message = 'a valid API key is required', options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'UnauthorizedError';
  }
}

export class InvalidSignatureError extends DomainError {
  readonly kind = 'unauthenticated';
  readonly code = 'invalid_signature';
  constructor(message: string, options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'InvalidSignatureError';
  }
}

export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden';
  readonly code: string = 'forbidden';
  constructor(message: string, options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'not_found';
  readonly code = 'not_found';
  constructor(message: string, options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends DomainError {
  readonly kind = 'conflict';
  readonly code: string;
  constructor(code: string, message: string, details: ErrorDetail[] = [], options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'ConflictError';
    this.code = code;
  }
}

/** The client's copy is stale: the resource changed since it read the version it names (`If-Match`). */
export class PreconditionFailedError extends DomainError {
  readonly kind = 'precondition_failed';
  readonly code: string;
  constructor(code: string, message: string, details: ErrorDetail[] = [], options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'PreconditionFailedError';
    this.code = code;
  }
}

/** A write that must name the version it replaces (`If-Match`) came without one: a blind overwrite could lose an edit. */
export class PreconditionRequiredError extends DomainError {
  readonly kind = 'precondition_required';
  readonly code = 'precondition_required';
  constructor(message: string, options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'PreconditionRequiredError';
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly kind = 'too_large';
  readonly code = 'payload_too_large';
  constructor(
    readonly limitBytes: number,
    options?: ErrorOptions,
  ) {
    super(`the request body is larger than ${limitBytes} bytes`, [], options);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly kind = 'unsupported_format';
  readonly code = 'unsupported_media_type';
  constructor(
    readonly supported: string[],
    options?: ErrorOptions,
  ) {
    super(`the body must be one of: ${supported.join(', ')}`, [], options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

export class UnprocessableError extends DomainError {
  readonly kind = 'unprocessable';
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'UnprocessableError';
    this.code = code;
  }
}

/** The platform cannot take the request now (a store throttling or unreachable, contention that outlasted the retries): retry shortly. */
export class TemporarilyUnavailableError extends DomainError {
  readonly kind = 'unavailable';
  readonly code = 'temporarily_unavailable';
  constructor(message = 'the service is busy; nothing was stored, please retry in a second', options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'TemporarilyUnavailableError';
  }
}

/** Too many requests from one client or for one form in the current window: retry after the given seconds. */
export class TooManyRequestsError extends DomainError {
  readonly kind = 'rate_limited';
  readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'TooManyRequestsError';
  }
}

/** Converts zod issues into the API's `details` entries (path joined with dots). */
export function detailsFromIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): ErrorDetail[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}
