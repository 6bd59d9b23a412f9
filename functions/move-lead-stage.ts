import { NotFoundError } from '../core/errors';
import { leadIdSchema } from '../core/lead';
import { parseStageMove } from '../core/stage-machine';
import { moveLead } from '../core/transitions';
import { actorOf, httpHandler } from './shared/http';
import { changeLeadOnce } from './shared/idempotent-lead-change';

/**
 * POST /v1/leads/{leadId}/stage (leads:write): a rep's move. Checked against the allowed moves
 * (409 names the allowed stages), recorded with who and why (a move into qualified with the lead's
 * owner), and answered once stored. The waiting workflow is resumed from the stored move by the
 * table stream (follow-lead-changes), retried until it succeeds, so the answer never depends on it.
 * With an Idempotency-Key a repeated move replays the first answer.
 */
export const handler = httpHandler(
  async (request) => {
    const leadId = leadIdSchema.safeParse(request.pathParameters.leadId);
    if (!leadId.success) throw new NotFoundError('there is no such lead');
    const move = parseStageMove(request.body);

    return changeLeadOnce(request, leadId.data, 'stage', 200, (lead, now) => {
      const { lead: moved, entry } = moveLead(lead, move, actorOf(request), now);
      return { lead: moved, entries: [entry], body: { leadId: lead.leadId, from: lead.stage, stage: moved.stage, at: entry.at } };
    });
  },
  { body: 'json' },
);
