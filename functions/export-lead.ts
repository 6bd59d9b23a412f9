import { auditRecord } from '../core/erasure';
import { NotFoundError } from '../core/errors';
import { leadIdSchema } from '../core/lead';
import { leadExport } from '../core/lead-export';
import { actorOf, httpHandler } from './shared/http';
import { logger } from './shared/observability';
import { putAudit, readLeadPartition } from './shared/privacy-repository';
import { isSuppressed } from './shared/suppression-list';

/**
 * GET /v1/leads/{leadId}/export (leads:read): everything held about the person, as one JSON
 * document to download (GDPR access and portability). The export is recorded in the audit log.
 */
export const handler = httpHandler(
  async (request) => {
    const leadId = leadIdSchema.safeParse(request.pathParameters.leadId);
    const { lead, items } = leadId.success ? await readLeadPartition(leadId.data) : { lead: undefined, items: [] };
    if (!lead) throw new NotFoundError('there is no such lead');
    const now = new Date();
    const document = leadExport(lead, items, await isSuppressed(lead.email), now);
    await putAudit(
      auditRecord('lead_exported', lead.leadId, actorOf(request), now, {
        historyEntries: document.history.length,
        emails: document.emails.length,
        engagementEvents: document.engagementEvents.length,
      }),
    );
    logger.info('lead exported', { historyEntries: document.history.length });
    return {
      status: 200,
      json: document,
      headers: { 'content-disposition': `attachment; filename="${lead.leadId}.json"`, 'cache-control': 'no-store' },
    };
  },
  // The key and its leads:read scope are checked at the gateway (api/routes.ts declares the scope).
  {},
);
