import { atInvocationEnd } from './observability';

/**
 * CloudWatch metrics for the business events, in the embedded metric format (EMF): one JSON line
 * per invocation that counted something, namespace `Leadflow`, dimension `service`. Written here in
 * a few lines rather than through Powertools Metrics, whose ~15 KB would weigh on every counting
 * function's cold start (the public capture's above all).
 */
const NAMESPACE = 'Leadflow';
const SERVICE = 'leadflow';
const counts = new Map<BusinessMetric, number>();

/** The business events the platform counts, one CloudWatch metric each. */
export type BusinessMetric =
  | 'LeadsCaptured'
  | 'DuplicateSubmissions'
  | 'SubmissionsAccepted'
  | 'SpamSubmissions'
  | 'StageMoves'
  | 'EmailsSent'
  | 'EmailsFailed'
  | 'EmailsSuppressed'
  | 'EngagementEvents'
  | 'LeadsRescored'
  | 'LeadsHandedOff'
  /** A lead's workflow step failed beyond its retries and waits for an operator (an alarm watches it). */
  | 'WorkflowsParked'
  /** A lead's workflow execution handed over to a successor before Standard's one-year limit. */
  | 'WorkflowsContinued'
  /** An operator resumed a parked workflow or restarted an ended one. */
  | 'WorkflowsRetried'
  /** Active campaigns the deliverability guard paused (bounce or complaint rate at its limit; an alarm watches it). */
  | 'CampaignsPausedByGuard'
  /** Stream records of lead items that hold no lead, skipped (functions/shared/lead-images.ts; an alarm watches it). */
  | 'UnreadableLeadRecords';

export function countMetric(name: BusinessMetric, count = 1): void {
  counts.set(name, (counts.get(name) ?? 0) + count);
}

/** The EMF line for what was counted, or undefined when nothing was (a read, say). */
export function metricsLine(now = Date.now()): string | undefined {
  if (counts.size === 0) return undefined;
  const line = {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        { Namespace: NAMESPACE, Dimensions: [['service']], Metrics: [...counts.keys()].map((Name) => ({ Name, Unit: 'Count' })) },
      ],
    },
    service: SERVICE,
    ...Object.fromEntries(counts),
  };
  counts.clear();
  return JSON.stringify(line);
}

atInvocationEnd(() => {
  const line = metricsLine();
  // Lambda sends stdout to CloudWatch Logs, which extracts the metrics from EMF lines.
  if (line) process.stdout.write(`${line}\n`);
});
