/**
 * The lifecycle's emails as SES templates (Handlebars syntax, rendered by SES). The CDK app
 * creates one SES template per entry; functions refer to them by id.
 *
 * SES inserts template values as they are, with no HTML escaping, and names and companies come
 * from public forms. So every HTML part reads escaped copies of the data (`leadName_html`, made by
 * `withHtmlEscapes`), while subjects and text parts read the plain values.
 */
export interface EmailTemplate {
  id: string;
  subject: string;
  html: string;
  text: string;
}

const playbookHtml = '{{#if playbook}}<h3>Playbook</h3><ul>{{#each playbook}}<li>{{this}}</li>{{/each}}</ul>{{/if}}';
const playbookText = '{{#if playbook}}Playbook:\n{{#each playbook}}- {{this}}\n{{/each}}{{/if}}';

const plainTemplates: EmailTemplate[] = [
  {
    id: 'owner-reminder',
    subject: 'Reminder: {{leadName}} is waiting in {{stage}}',
    html: '<p>Hi {{ownerName}},</p><p>{{leadName}} ({{company}}) has had no move in <b>{{stage}}</b> for {{waited}}.</p>' + playbookHtml,
    text: 'Hi {{ownerName}},\n\n{{leadName}} ({{company}}) has had no move in {{stage}} for {{waited}}.\n\n' + playbookText,
  },
  {
    id: 'manager-escalation',
    subject: 'Escalation: {{leadName}} untouched for {{waited}}',
    html:
      '<p>Hi {{managerName}},</p><p>{{leadName}} ({{company}}), owned by {{ownerName}}, has waited {{waited}} in <b>{{stage}}</b>.</p>' +
      playbookHtml,
    text:
      'Hi {{managerName}},\n\n{{leadName}} ({{company}}), owned by {{ownerName}}, has waited {{waited}} in {{stage}}.\n\n' + playbookText,
  },
  {
    // To a lead's new owner (assigned at qualification, or reassigned): transactional, not marketing.
    id: 'owner-assigned',
    subject: 'New lead for you: {{leadName}} ({{company}})',
    html:
      '<p>Hi {{ownerName}},</p><p>{{leadName}} ({{company}}) is now yours, in <b>{{stage}}</b>.</p>' +
      '<h3>Score {{scoreTotal}} (grade {{grade}})</h3><p>Fit {{fit}}, engagement {{engagementScore}}.</p>' +
      '{{#if scoreLines}}<ul>{{#each scoreLines}}<li>{{this}}</li>{{/each}}</ul>{{/if}}' +
      playbookHtml,
    text:
      'Hi {{ownerName}},\n\n{{leadName}} ({{company}}) is now yours, in {{stage}}.\n\n' +
      'Score {{scoreTotal}} (grade {{grade}}): fit {{fit}}, engagement {{engagementScore}}.\n' +
      '{{#each scoreLines}}- {{this}}\n{{/each}}\n' +
      playbookText,
  },
  {
    id: 'prospect-check-in',
    subject: 'Any questions, {{firstName}}?',
    html: '<p>Hi {{firstName}},</p><p>I wanted to check in: is there anything I can answer for you or your team?</p><p>{{ownerName}}</p>',
    text: 'Hi {{firstName}},\n\nI wanted to check in: is there anything I can answer for you or your team?\n\n{{ownerName}}',
  },
  {
    id: 'thank-you',
    subject: 'Thank you, {{firstName}}!',
    html: '<p>Hi {{firstName}},</p><p>Thank you for choosing us. {{ownerName}} will be in touch to plan your onboarding.</p>',
    text: 'Hi {{firstName}},\n\nThank you for choosing us. {{ownerName}} will be in touch to plan your onboarding.',
  },
  {
    id: 'retention-check-in',
    subject: 'How is it going, {{firstName}}?',
    html: '<p>Hi {{firstName}},</p><p>How is everything working for {{company}}? Reply with any question, or book a check-in call.</p>',
    text: 'Hi {{firstName}},\n\nHow is everything working for {{company}}? Reply with any question, or book a check-in call.',
  },
  {
    id: 'satisfaction-survey',
    subject: 'Two minutes for feedback?',
    html: '<p>Hi {{firstName}},</p><p>How satisfied are you so far? Your answer helps us serve {{company}} better.</p>',
    text: 'Hi {{firstName}},\n\nHow satisfied are you so far? Your answer helps us serve {{company}} better.',
  },
  {
    id: 'upsell-referral',
    subject: 'What is next for {{company}}?',
    html: '<p>Hi {{firstName}},</p><p>Teams like yours often add more seats or modules after three months. And if you know someone who would benefit, we would love an introduction.</p>',
    text: 'Hi {{firstName}},\n\nTeams like yours often add more seats or modules after three months. And if you know someone who would benefit, we would love an introduction.',
  },
];

/** The retention emails that are marketing (consent required, one-click unsubscribe); the thank-you is not. */
export const marketingRetentionEmails = ['retention-check-in', 'satisfaction-survey', 'upsell-referral'] as const;

/** The lifecycle's templates that are marketing: each shows `{{unsubscribeUrl}}` in its HTML and its text. */
export const marketingTemplateIds: readonly string[] = ['prospect-check-in', ...marketingRetentionEmails];

/** The retention emails after a win, in order. */
export const retentionEmails = ['thank-you', 'retention-check-in', 'satisfaction-survey', 'upsell-referral'] as const;
export type RetentionEmail = (typeof retentionEmails)[number];

/**
 * `{{name}}`, `{{#if name}}`, `{{#unless name}}` and `{{#each name}}` in an HTML part read
 * `name_html` instead (`{{this}}`, `{{else}}` and closing tags stay). Names may hold `_`, as a
 * marketing template's `custom_<field>` does.
 */
export function readEscapedValues(html: string): string {
  return html.replace(/\{\{(#if |#unless |#each )?([A-Za-z][A-Za-z0-9_]*)\}\}/g, (whole, block: string | undefined, name: string) =>
    name === 'this' || (name === 'else' && !block) ? whole : `{{${block ?? ''}${name}_html}}`,
  );
}

/** The visible unsubscribe link of every marketing email (the URL is also in its List-Unsubscribe header). */
const unsubscribeFooter = {
  html: '<p style="font-size:12px;color:#666">You get this email because you agreed to hear from us. <a href="{{unsubscribeUrl}}">Unsubscribe</a> with one click.</p>',
  text: '\n\n--\nYou get this email because you agreed to hear from us. Unsubscribe with one click: {{unsubscribeUrl}}',
};

/** The double opt-in request: transactional (it asks for consent, it is no marketing). */
const consentConfirmation: EmailTemplate = {
  id: 'consent-confirmation',
  subject: 'Please confirm your subscription',
  html:
    '<p>Hi {{firstName}},</p><p>Please confirm that you want to hear from us: you agreed to “{{consentText}}”.</p>' +
    '<p><a href="{{confirmUrl}}">Yes, confirm my subscription</a></p><p>If this was not you, ignore this email: nothing will be sent.</p>',
  text:
    'Hi {{firstName}},\n\nPlease confirm that you want to hear from us: you agreed to "{{consentText}}".\n\n' +
    'Confirm: {{confirmUrl}}\n\nIf this was not you, ignore this email: nothing will be sent.',
};

function withUnsubscribeFooter(template: EmailTemplate): EmailTemplate {
  if (!marketingTemplateIds.includes(template.id)) return template;
  return { ...template, html: template.html + unsubscribeFooter.html, text: template.text + unsubscribeFooter.text };
}

export const emailTemplates: EmailTemplate[] = [...plainTemplates, consentConfirmation]
  .map(withUnsubscribeFooter)
  .map((template) => ({ ...template, html: readEscapedValues(template.html) }));

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEscapes[character] ?? character);
}

/** The template data plus an HTML-escaped copy of every text value (and list of texts) under `<name>_html`. */
export function withHtmlEscapes(data: Record<string, unknown>): Record<string, unknown> {
  const escaped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) {
    if (typeof value === 'string') escaped[`${name}_html`] = escapeHtml(value);
    else if (Array.isArray(value))
      escaped[`${name}_html`] = (value as unknown[]).map((item) => (typeof item === 'string' ? escapeHtml(item) : item));
    else escaped[`${name}_html`] = value;
  }
  return { ...data, ...escaped };
}
