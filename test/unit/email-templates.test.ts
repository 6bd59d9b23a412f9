import { describe, expect, it } from 'vitest';
import { emailTemplates, escapeHtml, readEscapedValues, withHtmlEscapes } from '../../core/email-templates';

describe('email templates and lead-supplied text', () => {
  it('escape every character that could open markup', () => {
    expect(escapeHtml(`<img src=x onerror="alert('x')">&`)).toBe('&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;');
  });

  it('read escaped copies in every HTML part, and plain values in subjects and text parts', () => {
    for (const template of emailTemplates) {
      const variables = [...template.html.matchAll(/\{\{(?:#if |#each )?([A-Za-z][A-Za-z0-9_]*)\}\}/g)].map((match) => match[1]);
      expect(
        variables.filter((name) => name !== 'this' && !name!.endsWith('_html')),
        template.id,
      ).toEqual([]);
      expect(template.subject + template.text, template.id).not.toContain('_html');
    }
    expect(readEscapedValues('{{#each playbook}}<li>{{this}}</li>{{/each}}')).toBe('{{#each playbook_html}}<li>{{this}}</li>{{/each}}');
  });

  it('give the data an escaped copy of each text and list of texts, keeping the plain ones', () => {
    expect(withHtmlEscapes({ leadName: 'Ada <b>', playbook: ['ROI < cost'], followUps: 2 })).toEqual({
      leadName: 'Ada <b>',
      leadName_html: 'Ada &lt;b&gt;',
      playbook: ['ROI < cost'],
      playbook_html: ['ROI &lt; cost'],
      followUps: 2,
      followUps_html: 2,
    });
  });
});
