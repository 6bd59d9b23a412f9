import type { Form } from './form';
import { leadIdFor, profileFields, type Lead, type Profile, type Touch } from './lead';
import { normalizeEmail, type Submission } from './submission';

export interface CapturePlan {
  lead: Lead;
  touch: Touch;
  duplicate: boolean;
}

/**
 * Folds a validated submission into the lead it belongs to: a new lead, or for a known email the
 * same lead with its profile refreshed (newer non-empty values win) and the touch recorded.
 */
export function planCapture(
  existing: Lead | undefined,
  submission: Submission,
  form: Pick<Form, 'formId'>,
  now: Date,
): CapturePlan {
  const at = now.toISOString();
  const email = normalizeEmail(submission.email);
  const touch = touchFrom(submission, form.formId, at);
  const profile = profileFrom(submission);

  if (!existing) {
    return {
      duplicate: false,
      touch,
      lead: {
        leadId: leadIdFor(email),
        email,
        profile,
        customFields: submission.customFields,
        consent: submission.consent ?? false,
        stage: 'new',
        source: touch.source,
        attribution: { firstTouch: touch, lastTouch: touch },
        touches: 1,
        createdAt: at,
        updatedAt: at,
        version: 1,
      },
    };
  }
  return {
    duplicate: true,
    touch,
    lead: {
      ...existing,
      profile: { ...existing.profile, ...profile },
      customFields: { ...existing.customFields, ...submission.customFields },
      consent: submission.consent ?? existing.consent,
      attribution: { firstTouch: existing.attribution.firstTouch, lastTouch: touch },
      touches: existing.touches + 1,
      updatedAt: at,
      version: existing.version + 1,
    },
  };
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
