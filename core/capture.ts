import { withSubmittedConsent } from './consent';
import { DEFAULT_CONSENT_TEXT, type Form } from './form';
import { profileFields, type Lead, type Profile, type Touch, type UpdatePolicy } from './lead';
import type { HistoryEntry } from './history';
import { scoreLead, type EngagementEvent, type ScoringRules } from './scoring';
import { normalizeEmail, type Submission } from './submission';

export interface CapturePlan {
  lead: Lead;
  touch: Touch;
  duplicate: boolean;
}

/** A lead keeps its most recent engagement events; older ones have decayed to nothing. */
export const MAX_ENGAGEMENT_EVENTS = 200;

/** A lead with its score computed. */
export type ScoredLead = Lead & { score: NonNullable<Lead['score']> };

/** Adds engagement events (newest last, bounded) and rescores the lead with the given rules. */
export function withEngagement(
  lead: Lead,
  event: EngagementEvent | EngagementEvent[] | undefined,
  rules: ScoringRules,
  now: Date,
): ScoredLead {
  const events = event === undefined ? [] : Array.isArray(event) ? event : [event];
  const engagement =
    events.length > 0
      ? [...lead.engagement, ...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).slice(-MAX_ENGAGEMENT_EVENTS)
      : lead.engagement;
  return { ...lead, engagement, score: scoreLead(lead, engagement, rules, now) };
}

/** What a delivery brought beside the submission: its provider, engagement (a booked meeting) and notes. */
export interface CaptureExtras {
  provider?: string;
  engagement?: EngagementEvent[];
  /** What was received but not kept, for the lead's history. */
  notes?: string[];
}

/** How to apply a submission: the keyed id a new lead gets, and how a known lead may change. */
export interface CaptureOptions {
  /** The lead id for the submission's email (leadIdFor with the lead-id key); required for a new lead. */
  leadId?: string;
  /**
   * `overwrite`: newer non-empty values win, the touch becomes the last touch (a trusted caller, or
   * a form whose policy says so). `fill-blanks` (the default): see planCapture.
   */
  policy?: UpdatePolicy;
  /** Recorded with a consent given by this submission. */
  submissionId?: string;
}

/**
 * Folds a validated submission into the lead it belongs to: a new lead, or for a known email the
 * same lead with the touch recorded as a form_submit engagement, scored with the given rules.
 *
 * How a known lead changes is the policy's: `overwrite` refreshes the profile (newer non-empty
 * values win) and moves the last touch. `fill-blanks`, for a submission nobody vouches for, cannot
 * erase what is known: it fills only blank profile and custom fields, keeps the last touch, and
 * never lowers the score (if the filled fields would, it keeps only the touch). Consent follows
 * core/consent.ts under every policy: a submission can give it (or ask for it, on a double-opt-in
 * form), never withdraw it. Either way everything it sent is kept as the lead's `lastSubmission`,
 * which its history entry records.
 */
export function planCapture(
  existing: Lead | undefined,
  submission: Submission,
  form: Pick<Form, 'formId'> & Partial<Pick<Form, 'consentText' | 'doubleOptIn'>>,
  now: Date,
  rules: ScoringRules,
  extras: CaptureExtras = {},
  options: CaptureOptions = {},
): CapturePlan {
  const planned = planFields(existing, submission, form, now, rules, extras, options);
  const formConsent = {
    formId: form.formId,
    consentText: form.consentText ?? DEFAULT_CONSENT_TEXT,
    doubleOptIn: form.doubleOptIn ?? false,
  };
  const lead = withSubmittedConsent(planned.lead, submission.consent, formConsent, now.toISOString(), options.submissionId);
  return { ...planned, lead };
}

/** Everything of planCapture but consent (core/consent.ts decides that, the same for every policy). */
function planFields(
  existing: Lead | undefined,
  submission: Submission,
  form: Pick<Form, 'formId'>,
  now: Date,
  rules: ScoringRules,
  extras: CaptureExtras,
  options: CaptureOptions,
): CapturePlan {
  const at = now.toISOString();
  const email = normalizeEmail(submission.email);
  const touch = touchFrom(submission, form.formId, at);
  if (extras.provider && extras.provider !== 'generic') touch.provider = extras.provider;
  if (extras.notes && extras.notes.length > 0) touch.notes = extras.notes;
  const delivered = extras.engagement ?? [];
  const profile = profileFrom(submission);
  const policy = options.policy ?? 'fill-blanks';
  const lastSubmission = { touch, fields: { ...submission, email }, applied: existing ? policy : 'overwrite' } as const;

  if (!existing) {
    if (!options.leadId) throw new Error('a new lead needs its keyed lead id');
    const lead: Lead = {
      leadId: options.leadId,
      email,
      profile,
      customFields: submission.customFields,
      consent: false,
      consentRecords: [],
      stage: 'new',
      stageChangedAt: at,
      source: touch.source,
      attribution: { firstTouch: touch, lastTouch: touch },
      touches: 1,
      lastSubmission,
      engagement: [],
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    return { duplicate: false, touch, lead: withEngagement(lead, delivered, rules, now) };
  }
  const resubmitted: EngagementEvent = { type: 'form_submit', at, properties: { formId: form.formId } };
  const events = [resubmitted, ...delivered];
  const touched: Lead = { ...existing, touches: existing.touches + 1, lastSubmission, updatedAt: at, version: existing.version + 1 };
  if (policy === 'overwrite') {
    const updated: Lead = {
      ...touched,
      profile: { ...existing.profile, ...profile },
      customFields: { ...existing.customFields, ...submission.customFields },
      attribution: { firstTouch: existing.attribution.firstTouch, lastTouch: touch },
    };
    return { duplicate: true, touch, lead: withEngagement(updated, events, rules, now) };
  }
  const filled = withEngagement(
    {
      ...touched,
      profile: { ...profile, ...existing.profile },
      customFields: { ...submission.customFields, ...existing.customFields },
    },
    events,
    rules,
    now,
  );
  const before = existing.score?.total ?? 0;
  if (filled.score.total >= before) return { duplicate: true, touch, lead: filled };
  // The filled fields would lower the score: keep only the touch, and never a lower score than before.
  const touchOnly = withEngagement(touched, events, rules, now);
  const lead = touchOnly.score.total >= before || !existing.score ? touchOnly : { ...touchOnly, score: existing.score };
  return { duplicate: true, touch, lead };
}

function profileFrom(submission: Submission): Profile {
  const profile: Profile = {};
  for (const field of profileFields) {
    const value = submission[field];
    if (value !== undefined && value !== '') profile[field] = value;
  }
  return profile;
}

/** Source is the UTM source, else the referring host, else `direct`. */
export function touchFrom(submission: Submission, formId: string, at: string): Touch {
  const touch: Touch = { at, formId, source: sourceOf(submission) };
  const optional = {
    medium: submission.utm_medium,
    campaign: submission.utm_campaign,
    term: submission.utm_term,
    content: submission.utm_content,
    referrer: submission.referrer,
    landingPage: submission.landingPage,
  };
  for (const [name, value] of Object.entries(optional)) {
    if (value) touch[name as keyof typeof optional] = value;
  }
  return touch;
}

function sourceOf(submission: Submission): string {
  if (submission.utm_source) return submission.utm_source.toLowerCase();
  if (submission.referrer) {
    try {
      return new URL(submission.referrer).hostname.replace(/^www\./, '') || 'direct';
    } catch {
      return 'referral';
    }
  }
  return 'direct';
}

/**
 * The audit-trail entries for the form touches a lead write recorded: `captured` for a new lead,
 * `resubmitted` for each touch added since the previous image. Derived from the table stream
 * (the capture itself is one write), with ids fixed by the touch number so a redelivered stream
 * record writes the same entries again, not new ones.
 */
export function touchEntries(previous: Lead | undefined, current: Lead): HistoryEntry[] {
  const before = previous?.touches ?? 0;
  if (current.touches <= before) return [];
  // The touch as it was sent (a fill-blanks submission does not become the last touch), else the last touch.
  const touch = current.lastSubmission?.touch ?? current.attribution.lastTouch;
  const first = before === 0;
  return [
    {
      leadId: current.leadId,
      entryId: `touch-${String(current.touches).padStart(6, '0')}`,
      at: first ? current.createdAt : touch.at,
      type: first ? 'captured' : 'resubmitted',
      actor: `form:${touch.formId}`,
      data: {
        formId: touch.formId,
        source: touch.source,
        touch,
        ...(current.lastSubmission && { submitted: current.lastSubmission.fields, applied: current.lastSubmission.applied }),
        score: current.score && { total: current.score.total, grade: current.score.grade, rulesVersion: current.score.rulesVersion },
      },
    },
  ];
}
