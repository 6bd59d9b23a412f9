import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DomainError, TemporarilyUnavailableError, TooManyRequestsError, type ErrorDetail, type ErrorKind } from '../../core/errors';
import { logger } from './observability';

/** The one place where the domain's error kinds become HTTP statuses. */
export const statusOfKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  precondition_required: 428,
  too_large: 413,
  unsupported_format: 415,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

/** AWS errors that mean "not now": a throttled or unreachable store. The client may retry; nothing was stored. */
const transientErrorNames = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionInProgressException',
  'ServiceUnavailable',
  'TimeoutError',
]);
const transientErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

function isTransient(error: Error & { code?: unknown }): boolean {
  return transientErrorNames.has(error.name) || (typeof error.code === 'string' && transientErrorCodes.has(error.code));
}

const internalError = {
  status: 500,
  code: 'internal_error',
  message: 'something went wrong on our side; please retry',
  details: [] as ErrorDetail[],
};

/**
 * Error middleware: a domain error becomes its status with the JSON error shape; anything else is
 * a 500 whose body says nothing of the cause. Only the error's kind and message are logged (with
 * the request id the logger already carries): request bodies hold personal data.
 */
export function httpErrors(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: (request) => {
      const error = request.error;
      let answer = internalError;
      let retryAfterSeconds: number | undefined;
      if (error instanceof DomainError) {
        answer = { status: statusOfKind[error.kind], code: error.code, message: error.message, details: error.details };
        if (error instanceof TooManyRequestsError) retryAfterSeconds = error.retryAfterSeconds;
      } else if (error && isTransient(error)) {
        logger.warn('store unavailable; answered 503', { route: request.event.routeKey, error: { name: error.name } });
        const busy = new TemporarilyUnavailableError();
        answer = { status: 503, code: busy.code, message: busy.message, details: [] };
      } else {
        logger.error('request failed', {
          route: request.event.routeKey,
          error: { name: error?.name ?? 'Error', message: error?.message ?? String(error), stack: error?.stack },
        });
      }
      request.response = {
        statusCode: answer.status,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          ...(answer.status === 503 && { 'retry-after': '1' }),
          ...(retryAfterSeconds !== undefined && { 'retry-after': String(retryAfterSeconds) }),
        },
        body: JSON.stringify({ error: { code: answer.code, message: answer.message, details: answer.details } }),
      };
    },
  };
}
