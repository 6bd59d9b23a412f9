import * as z from 'zod';
import { historyQuerySchema } from '../api/requests';
import { NotFoundError, ValidationError, detailsFromIssues } from '../core/errors';
import { leadIdSchema } from '../core/lead';
import { httpHandler } from './shared/http';
import { getLead, listHistory } from './shared/leads-repository';

/** GET /v1/leads/{leadId}/history (leads:read): the audit trail, oldest first, paged. */
export const handler = httpHandler(
  async (request) => {
    const leadId = leadIdSchema.safeParse(request.pathParameters.leadId);
    const lead = leadId.success ? await getLead(leadId.data) : undefined;
    if (!leadId.success || !lead) throw new NotFoundError('there is no such lead');
    const query = historyQuerySchema.safeParse(request.query);
    if (!query.success) throw new ValidationError('the query is invalid', detailsFromIssues(query.error.issues));

    const page = await listHistory(leadId.data, query.data.limit, decodeCursor(query.data.cursor, leadId.data), lead.createdAt);
    return {
      status: 200,
      json: {
        leadId: leadId.data,
        entries: page.entries.map(({ leadId: _, ...entry }) => entry),
        nextCursor: page.cursor ? Buffer.from(JSON.stringify(page.cursor)).toString('base64url') : undefined,
      },
    };
  },
  // The key and its leads:read scope are checked at the gateway (api/routes.ts declares the scope).
  {},
);

const historyKeySchema = z.object({ pk: z.string(), sk: z.string() });

/** A cursor is the last key of the previous page; one for another lead is refused. */
function decodeCursor(cursor: string | undefined, leadId: string): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const key = historyKeySchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (key.success && key.data.pk === `LEAD#${leadId}` && key.data.sk.startsWith('HISTORY#')) return key.data;
  } catch {
    // Fall through to the 400.
  }
  throw new ValidationError('the cursor is not valid for this lead', [{ path: 'cursor', message: 'is malformed' }]);
}
