/**
 * Domain errors. Each carries a stable `name` (Step Functions `Catch` matches on it) and an HTTP
 * status that the one shared HTTP wrapper maps to the JSON error shape.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly details: ErrorDetail[];

  constructor(message: string, details: ErrorDetail[] = [], options?: ErrorOptions) {
    super(message, options);
    this.details = details;
  }
}

export class ValidationError extends DomainError {
  readonly status = 400;
  readonly code = 'validation_failed';
  constructor(message: string, details: ErrorDetail[] = [], options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'ValidationError';
  }
}

export class UnauthorizedError extends DomainError {
  readonly status = 401;
  readonly code = 'unauthorized';
  constructor(message = 'a valid API key is required', options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'UnauthorizedError';
  }
}

export class InvalidSignatureError extends DomainError {
  readonly status = 401;
  readonly code = 'invalid_signature';
  constructor(message: string, options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'InvalidSignatureError';
  }
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly code = 'forbidden';
  constructor(message: string, options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly code = 'not_found';
  constructor(message: string, options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends DomainError {
  readonly status = 409;
  readonly code: string;
  constructor(code: string, message: string, details: ErrorDetail[] = [], options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'ConflictError';
    this.code = code;
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  constructor(readonly limitBytes: number, options?: ErrorOptions) {
    super(`the request body is larger than ${limitBytes} bytes`, [], options);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  constructor(readonly supported: string[], options?: ErrorOptions) {
    super(`the body must be one of: ${supported.join(', ')}`, [], options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

export class UnprocessableError extends DomainError {
  readonly status = 422;
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, [], options);
    this.name = 'UnprocessableError';
    this.code = code;
  }
}

/** Converts zod issues into the API's `details` entries (path joined with dots). */
export function detailsFromIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): ErrorDetail[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}
