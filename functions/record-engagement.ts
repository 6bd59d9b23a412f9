import { rescoreLead } from '../core/transitions';
import { NotFoundError, ValidationError, detailsFromIssues } from '../core/errors';
import { historyEntry } from '../core/history';
import { leadIdSchema } from '../core/lead';
import { engagementEventSchema, futureEventProblem } from '../core/scoring';
import { actorOf, httpHandler } from './shared/http';
import { changeLeadOnce } from './shared/idempotent-lead-change';
import { countMetric } from './shared/business-metrics';
import { getActiveRules } from './shared/rules-repository';

/**
 * POST /v1/leads/{leadId}/events (leads:write): an engagement event (open, click, visit, reply,
 * meeting...). The lead is rescored with the active rules; the event and any score change go to
 * its history. With an Idempotency-Key a retried event is counted once.
 */
export const handler = httpHandler(
  async (request) => {
    const leadId = leadIdSchema.safeParse(request.pathParameters.leadId);
    if (!leadId.success) throw new NotFoundError('there is no such lead');
    const parsed = engagementEventSchema.safeParse({ at: new Date().toISOString(), ...request.body });
    if (!parsed.success) throw new ValidationError('the event is invalid', detailsFromIssues(parsed.error.issues));
    const event = parsed.data;
    const future = futureEventProblem(event, new Date());
    if (future) throw new ValidationError('the event is invalid', [{ path: 'at', message: future }]);
    const rules = await getActiveRules();
    const actor = actorOf(request);

    return changeLeadOnce(
      request,
      leadId.data,
      'event',
      202,
      (lead, now) => {
        const { lead: scored, scoreChange } = rescoreLead(lead, event, rules, actor, now, event.type);
        const entries = [
          historyEntry(lead.leadId, 'engagement', actor, now, { type: event.type, eventAt: event.at, properties: event.properties }),
          ...(scoreChange ? [scoreChange] : []),
        ];
        const after = scored.score;
        const score = { total: after.total, grade: after.grade, fit: after.fit, engagement: after.engagement };
        return { lead: scored, entries, body: { leadId: lead.leadId, score } };
      },
      () => {
        countMetric('EngagementEvents');
        return Promise.resolve();
      },
    );
  },
  { body: 'json' },
);
