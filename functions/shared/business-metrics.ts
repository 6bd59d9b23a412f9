import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { atInvocationEnd } from './observability';

/**
 * CloudWatch metrics (EMF, namespace `Leadflow`) for the business events. Its own module, so a
 * function pays for Powertools Metrics only if it counts something.
 */
export const metrics = new Metrics({ serviceName: 'leadflow', namespace: 'Leadflow' });

/** The business events the platform counts, one CloudWatch metric each. */
export type BusinessMetric =
  | 'LeadsCaptured'
  | 'DuplicateSubmissions'
  | 'SpamSubmissions'
  | 'StageMoves'
  | 'EmailsSent'
  | 'EmailsFailed'
  | 'EmailsSuppressed'
  | 'EngagementEvents'
  | 'LeadsRescored';

export function countMetric(name: BusinessMetric, count = 1): void {
  metrics.addMetric(name, MetricUnit.Count, count);
}

// Unlike Powertools' own middleware this stays silent when an invocation counted nothing (a read, say).
atInvocationEnd(() => {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
});
