import { NotFoundError } from '../core/errors';
import { leadIdSchema } from '../core/lead';
import { httpHandler } from './shared/http';
import { getLead } from './shared/leads-repository';

/** GET /v1/leads/{leadId} (leads:read) */
export const handler = httpHandler(async (request) => {
  const leadId = leadIdSchema.safeParse(request.pathParameters.leadId);
  const lead = leadId.success ? await getLead(leadId.data) : undefined;
  if (!lead) throw new NotFoundError('there is no such lead');
  return { status: 200, json: lead };
});
