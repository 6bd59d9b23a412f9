import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * Structured JSON logs and CloudWatch metrics (EMF, namespace `Leadflow`) for every function. The
 * log level comes from the environment (POWERTOOLS_LOG_LEVEL, set by the function's construct).
 *
 * Logs carry ids only (request id, lead id, execution name), never a lead's email, name, phone or
 * free text: request bodies and lead records are never logged.
 */
export const logger = new Logger({ serviceName: 'leadflow' });
export const metrics = new Metrics({ serviceName: 'leadflow', namespace: 'Leadflow' });

/** The business events the platform counts, one CloudWatch metric each. */
export type BusinessMetric =
  | 'LeadsCaptured'
  | 'DuplicateSubmissions'
  | 'SpamSubmissions'
  | 'StageMoves'
  | 'EmailsSent'
  | 'EmailsFailed'
  | 'EngagementEvents'
  | 'LeadsRescored';

export function countMetric(name: BusinessMetric, count = 1): void {
  metrics.addMetric(name, MetricUnit.Count, count);
}

/** Keys that tie every later line of this invocation to a lead or a workflow execution. */
export function correlate(keys: { leadId?: string; executionName?: string }): void {
  const present = Object.fromEntries(Object.entries(keys).filter(([, value]) => typeof value === 'string' && value !== ''));
  logger.appendKeys(present);
}

/**
 * Flushes the invocation's metrics once it ends, also when it fails. Unlike Powertools' own
 * middleware it stays silent when an invocation counted nothing (a read, say), which is most of them.
 */
function publishMetrics(): middy.MiddlewareObj {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
}

/** Logging (with the Lambda context and reset correlation keys per invocation) and metrics. */
export function observed<TEvent, TResult>(
  handle: (event: TEvent, context: Context) => Promise<TResult>,
): middy.MiddyfiedHandler<TEvent, TResult> {
  return middy<TEvent, TResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(publishMetrics())
    .before(({ event }) => {
      // Workflow steps get `leadId` and `executionName` in their payload.
      if (event && typeof event === 'object') {
        const { leadId, executionName } = event as { leadId?: string; executionName?: string };
        correlate({ leadId, executionName });
      }
    })
    .handler(handle);
}
