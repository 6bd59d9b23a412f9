import { describe, expect, it } from 'vitest';
import { withHtmlEscapes } from '../../core/email-templates';
import { ValidationError } from '../../core/errors';
import type { Lead } from '../../core/lead';
import { parseMarketingTemplateRequest, sameContent, sesTemplateContent, sesTemplateNameFor } from '../../core/marketing-template-edit';
import { marketingTemplateData } from '../../core/marketing-templates';
import { checkTemplateSyntax } from '../../core/template-syntax';

const valid = {
  subject: 'Hello {{firstName}}',
  html: '<p>Hi {{firstName}} at {{custom_plan}}</p>{{#if company}}<p>{{company}}</p>{{else}}<p>you</p>{{/if}}<a href="{{unsubscribeUrl}}">Unsubscribe</a>',
  text: 'Hi {{firstName}}\n\nUnsubscribe: {{unsubscribeUrl}}',
  fallbacks: { firstName: 'there' },
};

/** The problems a request is refused with, as `path: message` lines. */
function problemsOf(body: unknown): Array<{ path: string; message: string }> {
  try {
    parseMarketingTemplateRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).details;
  }
  throw new Error('the request was accepted');
}

function lead(overrides: Partial<Lead> = {}): Lead {
  const at = '2026-03-01T10:00:00.000Z';
  const touch = { at, source: 'google' };
  return {
    leadId: 'ld_AAAAAAAAAAAAAAAAAAAAAA',
    email: 'ada@example.com',
    profile: { firstName: 'Ada', company: '<b>Engines & Co</b>' },
    customFields: { plan: 'Pro <script>', 'bad name': 'x' },
    consent: true,
    stage: 'nurturing',
    stageChangedAt: at,
    source: 'google',
    attribution: { firstTouch: touch, lastTouch: touch },
    touches: 1,
    engagement: [],
    createdAt: at,
    updatedAt: at,
    version: 1,
    ...overrides,
  } as Lead;
}

describe('template syntax', () => {
  it('lists the variables of a well-formed part, in blocks too', () => {
    expect(checkTemplateSyntax('{{#unless company}}{{firstName}}{{else}}{{company}}{{/unless}} {{! a note }}{{!-- {{x}} --}}')).toEqual({
      variables: ['company', 'firstName'],
      problems: [],
    });
  });

  it.each([
    ['{{#if company}}open', '{{#if}} is never closed with {{/if}}'],
    ['{{/if}}', '{{/if}} closes a block that was never opened'],
    ['{{#if a}}{{/unless}}', '{{/unless}} closes {{#if}}; close it with {{/if}}'],
    ['{{#each items}}{{/each}}', '{{#each}} is not supported'],
    ['{{firstName', 'opens {{ without closing it'],
    ['{{{firstName}}}', 'triple braces are not supported'],
    ['{{ firstName }}', 'without extra spaces'],
    ['{{lead.firstName}}', 'is not a variable'],
    ['{{else}}', '{{else}} outside of an {{#if}}'],
  ])('refuses %s', (source, message) => {
    const { problems } = checkTemplateSyntax(source);
    expect(problems.map((problem) => problem.message).join(' | ')).toContain(message);
  });
});

describe('a template request', () => {
  it('is accepted with lead fields, custom fields, blocks and the unsubscribe link', () => {
    expect(parseMarketingTemplateRequest(valid)).toEqual(valid);
    expect(parseMarketingTemplateRequest({ ...valid, fallbacks: undefined }).fallbacks).toEqual({});
  });

  it('names the field of every problem', () => {
    const problems = problemsOf({
      subject: 'Hi {{nickname}}',
      html: '<p>{{#if company}}</p>',
      text: 'no link here',
      fallbacks: { shoeSize: '42', unsubscribeUrl: 'x' },
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      'subject',
      'html',
      'html',
      'text',
      'fallbacks.shoeSize',
      'fallbacks.unsubscribeUrl',
    ]);
    expect(problems[0]!.message).toContain('{{nickname}} is not a template variable');
    expect(problems.find((problem) => problem.path === 'text')!.message).toContain('{{unsubscribeUrl}}');
  });

  it('names missing or mistyped fields', () => {
    expect(problemsOf({ html: 1, text: 'x {{unsubscribeUrl}}' }).map((problem) => problem.path)).toEqual(['subject', 'html']);
  });

  it('is the same content whatever the order of its fallbacks', () => {
    const stored = parseMarketingTemplateRequest({ ...valid, fallbacks: { firstName: 'there', company: 'your team' } });
    expect(sameContent(stored, { ...stored, fallbacks: { company: 'your team', firstName: 'there' } })).toBe(true);
    expect(sameContent(stored, { ...stored, subject: 'Other' })).toBe(false);
  });
});

describe('the SES template of a version', () => {
  const content = parseMarketingTemplateRequest(valid);

  it('reads escaped values in HTML (custom fields and the unsubscribe link included) and plain values elsewhere', () => {
    const ses = sesTemplateContent(content);
    expect(ses.Html).toContain('{{firstName_html}}');
    expect(ses.Html).toContain('{{custom_plan_html}}');
    expect(ses.Html).toContain('{{#if company_html}}');
    expect(ses.Html).toContain('{{else}}');
    expect(ses.Html).toContain('href="{{unsubscribeUrl_html}}"');
    expect(ses.Subject).toBe(valid.subject);
    expect(ses.Text).toBe(valid.text);
  });

  it('has a name per version and per content, within SES limits', () => {
    const name = sesTemplateNameFor('leadflow', 'welcome-1', 3, content);
    expect(name).toMatch(/^leadflow-mkt-welcome-1-v3-[0-9a-f]{8}$/);
    expect(sesTemplateNameFor('leadflow', 'welcome-1', 3, content)).toBe(name);
    expect(sesTemplateNameFor('leadflow', 'welcome-1', 4, content)).not.toBe(name);
    expect(sesTemplateNameFor('leadflow', 'welcome-1', 3, { ...content, subject: 'x' })).not.toBe(name);
    expect(sesTemplateNameFor('leadflow', 'a'.repeat(32), 999_999, content).length).toBeLessThanOrEqual(64);
  });
});

describe('marketing template data', () => {
  it("gives every variable the lead's value, else the fallback, else ''", () => {
    const data = marketingTemplateData(lead({ profile: { company: 'Engines' } }), { firstName: 'there', custom_plan: 'Free' });
    expect(data.firstName).toBe('there');
    expect(data.company).toBe('Engines');
    expect(data.lastName).toBe('');
    expect(data.custom_plan).toBe('Pro <script>');
    expect(data.email).toBe('ada@example.com');
    expect(data.stage).toBe('nurturing');
    // Not a usable variable name: left out rather than half-named.
    expect(Object.keys(data)).not.toContain('custom_bad name');
  });

  it('a blank value reads the fallback', () => {
    expect(marketingTemplateData(lead({ profile: { firstName: '  ' } }), { firstName: 'there' }).firstName).toBe('there');
  });

  it('escaped for HTML by the mailer, custom fields included', () => {
    const data = withHtmlEscapes({ ...marketingTemplateData(lead(), {}), unsubscribeUrl: 'https://x.test/u?token=a&b' });
    expect(data.company_html).toBe('&lt;b&gt;Engines &amp; Co&lt;/b&gt;');
    expect(data.custom_plan_html).toBe('Pro &lt;script&gt;');
    expect(data.unsubscribeUrl_html).toBe('https://x.test/u?token=a&amp;b');
  });
});
