import type { Lead } from '../lead';
import { profileFields } from '../profile';

/** What the engine needs of a lead; a full `Lead` qualifies. */
export type ScorableLead = Pick<Lead, 'email' | 'profile'> & Partial<Pick<Lead, 'customFields' | 'source'>>;

/**
 * A rule names the lead value it reads: `email`, `emailDomain` (the part after the last "@"),
 * `source`, `profile.<field>` or `customFields.<name>`.
 */
export type FieldRef = string;

const topLevelFields = new Set(['email', 'emailDomain', 'source']);
const knownProfileFields = new Set<string>(profileFields);

export const fieldRefRule = 'must be email, emailDomain, source, profile.<field> or customFields.<name>';

export function isFieldRef(ref: string): boolean {
  if (topLevelFields.has(ref)) return true;
  if (ref.startsWith('profile.')) return knownProfileFields.has(ref.slice('profile.'.length));
  return ref.startsWith('customFields.') && ref.length > 'customFields.'.length;
}

/** The raw value a field reference points at, or undefined when the lead has none. */
export function readField(lead: ScorableLead, ref: FieldRef): string | undefined {
  let value: unknown;
  if (ref === 'email') value = lead.email;
  else if (ref === 'emailDomain') value = emailDomainOf(lead.email);
  else if (ref === 'source') value = lead.source;
  else if (ref.startsWith('profile.')) {
    value = (lead.profile as Record<string, unknown> | undefined)?.[ref.slice('profile.'.length)];
  } else if (ref.startsWith('customFields.')) {
    const name = ref.slice('customFields.'.length);
    // Own properties only: a custom field called "constructor" must not read the prototype.
    const fields = lead.customFields;
    if (fields && Object.hasOwn(fields, name)) value = fields[name];
  }
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function emailDomainOf(email: string | undefined): string | undefined {
  if (typeof email !== 'string') return undefined;
  const at = email.lastIndexOf('@');
  if (at < 0) return undefined;
  const domain = normalizeDomain(email.slice(at + 1));
  return domain === '' ? undefined : domain;
}

export function normalizeDomain(domain: string): string {
  return domain.normalize('NFKC').trim().toLowerCase().replace(/\.+$/, '');
}

/** Case, width and surrounding space do not change a match: "  SOFTWARE " is "software". */
export function normalizeText(value: string): string {
  return value.normalize('NFKC').trim().toLowerCase();
}

/** "profile.jobTitle" reads as "job title" in a reason; custom fields keep their name. */
export function fieldLabel(ref: FieldRef): string {
  if (ref === 'emailDomain') return 'email domain';
  if (ref.startsWith('customFields.')) return ref.slice('customFields.'.length);
  const name = ref.startsWith('profile.') ? ref.slice('profile.'.length) : ref;
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

const MAX_QUOTED_CHARS = 40;

/** A lead value quoted for a reason: bounded in length, control characters escaped. */
export function quote(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length <= MAX_QUOTED_CHARS) return JSON.stringify(trimmed);
  const chars = Array.from(trimmed);
  const shown = chars.length > MAX_QUOTED_CHARS ? `${chars.slice(0, MAX_QUOTED_CHARS).join('')}…` : chars.join('');
  return JSON.stringify(shown);
}
