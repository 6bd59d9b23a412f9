import { NotFoundError } from '../core/errors';
import { reassignOwner } from '../core/handoff';
import { leadIdSchema } from '../core/lead';
import { actorOf, httpHandler } from './shared/http';
import { changeLeadOnce } from './shared/idempotent-lead-change';
import { loadLifecycleConfig } from './shared/lifecycle-config';

/**
 * POST /v1/leads/{leadId}/owner (leads:write): reassigns a lead to one of the configured owners,
 * recorded as `owner_changed`. The new owner is told from the stored change (follow-lead-changes).
 * With an Idempotency-Key a repeated request replays the first answer.
 */
export const handler = httpHandler(
  async (request) => {
    const leadId = leadIdSchema.safeParse(request.pathParameters.leadId);
    if (!leadId.success) throw new NotFoundError('there is no such lead');
    const { owners } = await loadLifecycleConfig();
    const actor = actorOf(request);

    return changeLeadOnce(request, leadId.data, 'owner', 200, (lead, now) => {
      const { lead: owned, entries } = reassignOwner(lead, request.body, owners, actor, now);
      const owner = owned.owner ?? { name: '', email: '' };
      return { lead: owned, entries, body: { leadId: lead.leadId, owner: { name: owner.name, email: owner.email }, stage: owned.stage } };
    });
  },
  { body: 'json' },
);
