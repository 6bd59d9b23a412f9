import { withEngagement } from '../core/capture';
import { NotFoundError, ValidationError, detailsFromIssues } from '../core/errors';
import { historyEntry } from '../core/history';
import { parseIdempotencyKey, replay, requestHash } from '../core/idempotency';
import { leadIdSchema } from '../core/lead';
import { engagementEventSchema } from '../core/scoring';
import { authorize } from './shared/auth';
import { httpHandler } from './shared/http';
import { parseJsonObject } from './shared/json-body';
import {
  IdempotencyKeyUsedError,
  LeadChangedError,
  WriteConflictError,
  getIdempotencyRecord,
  getLead,
  saveLead,
} from './shared/leads-repository';
import { getActiveRules } from './shared/rules-repository';

const MAX_ATTEMPTS = 5;

/**
 * POST /v1/leads/{leadId}/events (leads:write): an engagement event (open, click, visit, reply,
 * meeting...). The lead is rescored with the active rules; the event and any score change go to
 * its history. With an Idempotency-Key a retried event is counted once.
 */
export const handler = httpHandler(async (request) => {
  const apiKey = await authorize(request, 'leads:write');
  const leadId = leadIdSchema.safeParse(request.pathParameters.leadId);
  if (!leadId.success) throw new NotFoundError('there is no such lead');
  const body = parseJsonObject(request);
  const parsed = engagementEventSchema.safeParse({ at: new Date().toISOString(), ...body });
  if (!parsed.success) throw new ValidationError('the event is invalid', detailsFromIssues(parsed.error.issues));
  const event = parsed.data;
  const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);
  const hash = requestHash([leadId.data, request.body]);
  const scope = `event:${leadId.data}`;
  if (idempotencyKey) {
    const stored = await getIdempotencyRecord(scope, idempotencyKey);
    if (stored) return { status: stored.status, json: replay(stored, hash).body };
  }

  const rules = await getActiveRules();
  for (let attempt = 1; ; attempt++) {
    const lead = await getLead(leadId.data, true);
    if (!lead) throw new NotFoundError('there is no such lead');
    const now = new Date();
    const scored = { ...withEngagement(lead, event, rules, now), updatedAt: now.toISOString(), version: lead.version + 1 };
    const actor = `api-key:${apiKey.name}`;
    const entries = [historyEntry(lead.leadId, 'engagement', actor, now, { type: event.type, eventAt: event.at, properties: event.properties })];
    const before = lead.score;
    const after = scored.score!;
    if (!before || before.total !== after.total || before.grade !== after.grade) {
      entries.push(
        historyEntry(lead.leadId, 'score_changed', actor, now, {
          from: before && { total: before.total, grade: before.grade },
          to: { total: after.total, grade: after.grade },
          rulesVersion: after.rulesVersion,
          cause: event.type,
        }),
      );
    }
    const answer = { leadId: lead.leadId, score: { total: after.total, grade: after.grade, fit: after.fit, engagement: after.engagement } };
    try {
      await saveLead(scored, entries, idempotencyKey ? { scope, key: idempotencyKey, record: { requestHash: hash, status: 202, body: answer }, now } : undefined);
      return { status: 202, json: answer };
    } catch (error) {
      if (error instanceof IdempotencyKeyUsedError && idempotencyKey) {
        const stored = await getIdempotencyRecord(scope, idempotencyKey);
        if (stored) return { status: stored.status, json: replay(stored, hash).body };
      }
      const retryable = error instanceof LeadChangedError || error instanceof WriteConflictError;
      if (!retryable || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
});
