import { NotFoundError } from '../core/errors';
import { leadIdSchema } from '../core/lead';
import { planStep } from '../core/lifecycle';
import { parseStageMove } from '../core/stage-machine';
import { moveLead } from '../core/transitions';
import { actorOf, httpHandler } from './shared/http';
import { changeLeadOnce } from './shared/idempotent-lead-change';
import { loadLifecycleConfig } from './shared/lifecycle-config';
import { getWait, resumeWorkflow } from './shared/workflow';

/**
 * POST /v1/leads/{leadId}/stage (leads:write): a rep's move. Checked against the allowed moves
 * (409 names the allowed stages), recorded with who and why, then the waiting workflow resumes.
 * With an Idempotency-Key a repeated move replays the first answer.
 */
export const handler = httpHandler(
  async (request) => {
    const leadId = leadIdSchema.safeParse(request.pathParameters.leadId);
    if (!leadId.success) throw new NotFoundError('there is no such lead');
    const move = parseStageMove(request.body);

    return changeLeadOnce(
      request,
      leadId.data,
      'stage',
      200,
      (lead, now) => {
        const { lead: moved, entry } = moveLead(lead, move, actorOf(request), now);
        return { lead: moved, entries: [entry], body: { leadId: lead.leadId, from: lead.stage, stage: moved.stage, at: entry.at } };
      },
      async ({ lead }) => {
        const lifecycleConfig = await loadLifecycleConfig();
        // Read the token only after the move is durable (see await-rep-move for the other half).
        const wait = await getWait(lead.leadId);
        if (wait?.taskToken && wait.kind === 'stage') await resumeWorkflow(wait.taskToken, planStep(lead.stage, 0, lifecycleConfig));
      },
    );
  },
  { body: 'json' },
);
