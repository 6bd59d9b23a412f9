import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * Structured JSON logs for every function (metrics are in business-metrics.ts). The log level
 * comes from the environment (POWERTOOLS_LOG_LEVEL, set by the function's construct).
 *
 * Logs carry ids only (request id, lead id, execution name), never a lead's email, name, phone or
 * free text: request bodies and lead records are never logged.
 */
export const logger = new Logger({ serviceName: 'leadflow' });

/** Keys that tie every later line of this invocation to a lead or a workflow execution. */
export function correlate(keys: { leadId?: string; executionName?: string }): void {
  const present = Object.fromEntries(Object.entries(keys).filter(([, value]) => typeof value === 'string' && value !== ''));
  logger.appendKeys(present);
}

const endHooks: Array<() => void> = [];

/** Work to do when every invocation ends, also when it fails (business-metrics.ts flushes its metrics). */
export function atInvocationEnd(hook: () => void): void {
  endHooks.push(hook);
}

function runEndHooks(): middy.MiddlewareObj {
  const run = () => {
    for (const hook of endHooks) hook();
  };
  return { after: run, onError: run };
}

/** Logging (with the Lambda context and reset correlation keys per invocation), then the end-of-invocation hooks. */
export function observed<TEvent, TResult>(
  handle: (event: TEvent, context: Context) => Promise<TResult>,
): middy.MiddyfiedHandler<TEvent, TResult> {
  return middy<TEvent, TResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(runEndHooks())
    .before(({ event }) => {
      // Workflow steps get `leadId` and `executionName` in their payload.
      if (event && typeof event === 'object') {
        const { leadId, executionName } = event as { leadId?: string; executionName?: string };
        correlate({ leadId, executionName });
      }
    })
    .handler(handle);
}
