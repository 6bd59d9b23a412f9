import { profileFields, type Lead } from './lead';

/**
 * Marketing's email templates: written through the API (PUT /v1/email-templates/{id}), kept in
 * the table and deployed to SES as SES templates (Handlebars, rendered by SES). A campaign step
 * names one by `templateId`; senders use the deployed `sesTemplateName` of its current version.
 */
export interface MarketingTemplate {
  templateId: string;
  /** Goes up by one with every change; the SES template of each version has its own name. */
  version: number;
  sesTemplateName: string;
  subject: string;
  html: string;
  text: string;
  /** What a variable reads when the lead has no value for it (`{"firstName": "there"}`); missing ones read ''. */
  fallbacks: Record<string, string>;
  updatedAt: string;
}

/** A lead's custom field `<name>` is the template variable `custom_<name>` (names made of letters, digits and `_`). */
export const CUSTOM_FIELD_PREFIX = 'custom_';

/** The lead variables every marketing template may use, besides `custom_<name>` and `unsubscribeUrl` (added by the sender). */
export const marketingTemplateVariables = [...profileFields, 'fullName', 'email', 'stage', 'ownerName'] as const;

/**
 * The data a marketing template is rendered with for one lead: every variable has a value (the
 * lead's, else the template's fallback, else ''), so SES never renders a missing field as a gap
 * the template did not plan for.
 */
export function marketingTemplateData(lead: Lead, fallbacks: Record<string, string> = {}): Record<string, string> {
  const values: Record<string, string | undefined> = {};
  for (const field of profileFields) values[field] = lead.profile[field];
  values.fullName = [lead.profile.firstName, lead.profile.lastName].filter(Boolean).join(' ') || undefined;
  values.email = lead.email;
  values.stage = lead.stage;
  values.ownerName = lead.owner?.name;
  for (const [name, value] of Object.entries(lead.customFields)) {
    if (/^[A-Za-z0-9_]+$/.test(name)) values[`${CUSTOM_FIELD_PREFIX}${name}`] = value;
  }
  const data: Record<string, string> = {};
  for (const name of new Set([...Object.keys(values), ...Object.keys(fallbacks)])) {
    const value = values[name]?.trim();
    data[name] = value ? value : (fallbacks[name] ?? '');
  }
  return data;
}
