import { ValidationError } from '../core/errors';
import { confirmOptIn, linkFitsLead, unsubscribe, type ConsentChange, type UnsubscribeVia } from '../core/consent';
import { consentPages, renderConsentPage, type ConsentPage } from '../core/consent-pages';
import type { Lead } from '../core/lead';
import { InvalidLinkError, type LinkPurpose, type OpenedLink } from '../core/link-token';
import { campaignCounterUpdate } from './shared/campaign-stats';
import { MAX_CONFLICT_ATTEMPTS, backOffAfterConflict } from './shared/conflicts';
import { httpHandler, type HttpRequest, type HttpResponse } from './shared/http';
import { LeadChangedError, WriteConflictError, getLead, saveLead } from './shared/leads-repository';
import { openLinkToken } from './shared/links';
import { correlate, logger } from './shared/observability';
import { suppress } from './shared/suppression-list';

/**
 * The links in emails, public (the token is the credential):
 * - `GET /v1/unsubscribe?token=` shows a page with a button; `POST` unsubscribes at once (RFC 8058
 *   one-click: mailbox providers POST `List-Unsubscribe=One-Click`), puts the address on the
 *   suppression list and, for a campaign's email, counts the unsubscribe once.
 * - `GET /v1/consent/confirm?token=` shows a page with a button; `POST` records the double opt-in consent.
 * GET never changes anything: link scanners follow links. A bad, altered, expired or misdirected
 * token changes nothing: a 400 page for a browser, the JSON error naming `token` for anyone else.
 */
export const handler = httpHandler(async (request) => {
  const purpose: LinkPurpose = request.path.endsWith('/unsubscribe') ? 'unsubscribe' : 'confirm';
  const found = await leadOfLink(request, purpose);
  if (!found) return badLink(request);
  const { lead, link } = found;
  correlate({ leadId: lead.leadId });
  if (request.method === 'GET') {
    if (purpose === 'unsubscribe') return page(200, lead.unsubscribedAt ? consentPages.unsubscribed : consentPages.unsubscribeAsk);
    return page(200, consentPages.confirmAsk);
  }
  const now = new Date();
  if (purpose === 'unsubscribe') {
    const via: UnsubscribeVia = new URLSearchParams(request.rawBody).get('from') === 'page' ? 'page' : 'one-click';
    const stored = await change(lead.leadId, (current) => unsubscribe(current, link, via, now), link);
    // Also when an earlier request stored the unsubscribe and failed before this (the put is idempotent).
    if (stored?.unsubscribedAt) await suppress(stored.email, 'unsubscribed', new Date(stored.unsubscribedAt));
    logger.info('unsubscribed', { via, campaignId: link.campaign?.campaignId });
    return page(200, consentPages.unsubscribed);
  }
  const stored = await change(lead.leadId, (current) => confirmOptIn(current, link, now), link);
  if (!stored) return badLink(request);
  logger.info('double opt-in confirmed');
  return page(200, consentPages.confirmed);
});

/** The lead a link was made for, if the token is good and the lead is still the one it was made for. */
async function leadOfLink(request: HttpRequest, purpose: LinkPurpose): Promise<{ lead: Lead; link: OpenedLink } | undefined> {
  const token = request.query.token;
  if (!token || token.length > 2000) return undefined;
  let link: OpenedLink;
  try {
    link = await openLinkToken(purpose, token, new Date());
  } catch (error) {
    if (error instanceof InvalidLinkError) return undefined;
    throw error;
  }
  const lead = await getLead(link.leadId, true);
  return lead && linkFitsLead(link, lead) ? { lead, link } : undefined;
}

/**
 * Applies a consent change with optimistic locking (re-read and re-decided on a lost race); an
 * unsubscribe from a campaign's email adds to its `unsubscribed` counter in the same transaction,
 * so a retry never counts twice. Returns the lead as it now is, or undefined when refused.
 */
async function change(leadId: string, decide: (lead: Lead) => ConsentChange, link: OpenedLink): Promise<Lead | undefined> {
  for (let attempt = 1; ; attempt++) {
    const lead = await getLead(leadId, true);
    if (!lead) return undefined;
    const decided = decide(lead);
    if (decided.outcome === 'refused') return undefined;
    if (decided.outcome === 'unchanged') return lead;
    const counted = decided.entries.some((entry) => entry.type === 'unsubscribed') && link.campaign;
    try {
      await saveLead(
        decided.lead,
        decided.entries,
        undefined,
        counted ? campaignCounterUpdate(counted.campaignId, 'unsubscribed', leadId) : undefined,
      );
      return decided.lead;
    } catch (error) {
      const retryable = error instanceof LeadChangedError || error instanceof WriteConflictError;
      if (!retryable || attempt >= MAX_CONFLICT_ATTEMPTS) throw error;
      await backOffAfterConflict(attempt);
    }
  }
}

function badLink(request: HttpRequest): HttpResponse {
  if ((request.headers.accept ?? '').includes('text/html')) return page(400, consentPages.invalidLink);
  throw new ValidationError('the link is not valid', [
    { path: 'token', message: 'is not a valid link token (forged, altered, expired or not for this)' },
  ]);
}

function page(status: number, content: ConsentPage): HttpResponse {
  return {
    status,
    text: renderConsentPage(content),
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The page needs nothing from anywhere; its form posts back to itself.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
    },
  };
}
