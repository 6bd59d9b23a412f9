import { historyEntry, type HistoryEntry } from './history';
import type { ConsentRecord, Lead } from './lead';
import { emailHash, type OpenedLink } from './link-token';

/**
 * Consent to marketing email, as pure rules. A lead may get marketing email only with a recorded
 * consent (when, which form, what text) and no unsubscribe since. A submission can give consent,
 * never take it away; only an unsubscribe does, and only a new recorded consent undoes that.
 */

/** What a form says about consent: its text, and whether consent waits for the double opt-in link. */
export interface FormConsent {
  formId: string;
  consentText: string;
  doubleOptIn: boolean;
}

/** Why a lead may not get marketing email now, if it may not. */
export function marketingBlock(lead: Pick<Lead, 'consent' | 'unsubscribedAt'>): 'no_consent' | 'unsubscribed' | undefined {
  if (lead.unsubscribedAt) return 'unsubscribed';
  return lead.consent ? undefined : 'no_consent';
}

/**
 * A submission's effect on consent. Without consent ticked: none (an unsubscribed person stays
 * unsubscribed, a consenting one keeps consent). With consent on a single-opt-in form: a consent
 * record, which re-subscribes. On a double-opt-in form: a pending opt-in (the confirmation email
 * follows from the table stream), unless the person already consents.
 */
export function withSubmittedConsent(
  lead: Lead,
  consented: boolean | undefined,
  form: FormConsent | undefined,
  at: string,
  submissionId?: string,
): Lead {
  if (consented !== true || !form) return lead;
  if (form.doubleOptIn) {
    if (lead.consent && !lead.unsubscribedAt) return lead;
    return { ...lead, pendingOptIn: { formId: form.formId, text: form.consentText, requestedAt: at } };
  }
  const record: ConsentRecord = { at, formId: form.formId, text: form.consentText, method: 'form', ...(submissionId && { submissionId }) };
  return withConsentRecord(lead, record);
}

function withConsentRecord(lead: Lead, record: ConsentRecord): Lead {
  const { unsubscribedAt: _unsubscribed, pendingOptIn: _pending, ...rest } = lead;
  return { ...rest, consent: true, consentRecords: [...lead.consentRecords, record] };
}

/** The link was made for this lead and its current address (an erased and re-created lead's old links do not work). */
export function linkFitsLead(link: OpenedLink, lead: Pick<Lead, 'leadId' | 'email'>): boolean {
  return link.leadId === lead.leadId && link.emailHash === emailHash(lead.email);
}

export type ConsentChange =
  { outcome: 'changed'; lead: Lead; entries: HistoryEntry[] } | { outcome: 'unchanged' } | { outcome: 'refused'; reason: string };

/**
 * The double opt-in link followed: consent recorded, from the request the link was sent for. A
 * second confirmation changes nothing; a link for a request that was replaced or never pending is refused.
 */
export function confirmOptIn(lead: Lead, link: OpenedLink, now: Date): ConsentChange {
  const pending = lead.pendingOptIn;
  if (!pending || pending.requestedAt !== link.requestedAt) {
    const confirmed = lead.consentRecords.some((record) => record.method === 'double_opt_in' && record.at >= (link.requestedAt ?? ''));
    return confirmed ? { outcome: 'unchanged' } : { outcome: 'refused', reason: 'this confirmation link is no longer valid' };
  }
  const at = now.toISOString();
  const record: ConsentRecord = { at, formId: pending.formId, text: pending.text, method: 'double_opt_in' };
  const changed = withConsentRecord(lead, record);
  const next: Lead = { ...changed, updatedAt: at, version: lead.version + 1 };
  const entry = historyEntry(lead.leadId, 'consent_confirmed', 'prospect', now, {
    formId: pending.formId,
    requestedAt: pending.requestedAt,
  });
  return { outcome: 'changed', lead: next, entries: [entry] };
}

export type UnsubscribeVia = 'one-click' | 'page';

/** The unsubscribe link used: consent withdrawn, at once. Unsubscribing twice changes nothing. */
export function unsubscribe(lead: Lead, link: OpenedLink, via: UnsubscribeVia, now: Date): ConsentChange {
  if (lead.unsubscribedAt) return { outcome: 'unchanged' };
  const at = now.toISOString();
  const { pendingOptIn: _pending, ...rest } = lead;
  const next: Lead = { ...rest, consent: false, unsubscribedAt: at, updatedAt: at, version: lead.version + 1 };
  const entry = historyEntry(lead.leadId, 'unsubscribed', 'prospect', now, {
    ...(link.campaign && { campaignId: link.campaign.campaignId, step: link.campaign.step }),
    via,
  });
  return { outcome: 'changed', lead: next, entries: [entry] };
}

/** The consent record a lead write added, if it added one (the table stream compares the images). */
export function newConsentRecord(previous: Lead | undefined, current: Lead): ConsentRecord | undefined {
  const before = previous?.consentRecords.length ?? 0;
  return current.consentRecords.length > before ? current.consentRecords.at(-1) : undefined;
}

/** The opt-in request a lead write made, if it made one. */
export function newOptInRequest(previous: Lead | undefined, current: Lead): Lead['pendingOptIn'] {
  const pending = current.pendingOptIn;
  return pending && pending.requestedAt !== previous?.pendingOptIn?.requestedAt ? pending : undefined;
}
