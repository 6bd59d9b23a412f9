import { NotFoundError } from '../core/errors';
import { parseIdempotencyKey, replay, requestHash } from '../core/idempotency';
import { leadIdSchema } from '../core/lead';
import { planStep } from '../core/lifecycle';
import { parseStageMove } from '../core/stage-machine';
import { moveLead } from '../core/transitions';
import { authorize } from './shared/auth';
import { httpHandler } from './shared/http';
import { parseJsonObject } from './shared/json-body';
import { lifecycleConfig } from './shared/lifecycle-config';
import {
  IdempotencyKeyUsedError,
  LeadChangedError,
  WriteConflictError,
  getIdempotencyRecord,
  getLead,
  saveLead,
} from './shared/leads-repository';
import { getWait, resumeWorkflow } from './shared/workflow';

const MAX_ATTEMPTS = 5;

/**
 * POST /v1/leads/{leadId}/stage (leads:write): a rep's move. Checked against the allowed moves
 * (409 names the allowed stages), recorded with who and why, then the waiting workflow resumes.
 * With an Idempotency-Key a repeated move replays the first answer.
 */
export const handler = httpHandler(async (request) => {
  const apiKey = await authorize(request, 'leads:write');
  const leadId = leadIdSchema.safeParse(request.pathParameters.leadId);
  if (!leadId.success) throw new NotFoundError('there is no such lead');
  const move = parseStageMove(parseJsonObject(request));
  const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);
  const hash = requestHash([leadId.data, request.body]);
  const scope = `stage:${leadId.data}`;
  if (idempotencyKey) {
    // A retried move finds the lead already moved: answer as the first time, not with a 409.
    const stored = await getIdempotencyRecord(scope, idempotencyKey);
    if (stored) return { status: stored.status, json: replay(stored, hash).body };
  }

  for (let attempt = 1; ; attempt++) {
    const lead = await getLead(leadId.data, true);
    if (!lead) throw new NotFoundError('there is no such lead');
    const now = new Date();
    const transition = moveLead(lead, move, `api-key:${apiKey.name}`, now);
    const body = { leadId: lead.leadId, from: lead.stage, stage: transition.lead.stage, at: transition.entry.at };
    try {
      await saveLead(
        transition.lead,
        [transition.entry],
        idempotencyKey ? { scope, key: idempotencyKey, record: { requestHash: hash, status: 200, body }, now } : undefined,
      );
      // Read the token only after the move is durable (see await-rep-move for the other half).
      const wait = await getWait(lead.leadId);
      if (wait) await resumeWorkflow(wait.taskToken, planStep(transition.lead.stage, 0, lifecycleConfig));
      return { status: 200, json: body };
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
