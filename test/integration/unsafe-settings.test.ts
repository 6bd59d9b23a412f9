import { describe, expect, it } from 'vitest';
import { admin, json, postJson, uniqueEmail, keyed } from './helpers';

describe('unsafe settings and dates are refused over HTTP and change nothing', () => {
  it('a form whose redirect would run script, or whose honeypot is a lead field, is a 400 and is not stored', async () => {
    for (const settings of [{ redirectUrl: 'javascript:alert(document.cookie)' }, { honeypotField: 'email' }]) {
      const formId = `unsafe-${String(Date.now())}-${Object.keys(settings).join('')}`.toLowerCase();
      const answer = await admin('PUT', `/v1/forms/${formId}`, { name: 'Unsafe', ...settings });
      expect(answer.status).toBe(400);
      expect((await json(answer)).error.code).toBe('validation_failed');
      expect((await admin('GET', `/v1/forms/${formId}`)).status).toBe(404);
    }
  });

  it('an engagement event dated 9999-12-31 is a 400 and the lead is not rescored', async () => {
    const { leadId } = await json(postJson('default', { email: uniqueEmail('future') }, keyed()));
    const before = await json(admin('GET', `/v1/leads/${String(leadId)}`));
    const answer = await admin('POST', `/v1/leads/${String(leadId)}/events`, { type: 'email_click', at: '9999-12-31T00:00:00.000Z' });
    expect(answer.status).toBe(400);
    expect((await json(answer)).error.details).toEqual([{ path: 'at', message: 'must not be in the future' }]);
    const after = await json(admin('GET', `/v1/leads/${String(leadId)}`));
    expect(after.engagement).toEqual(before.engagement);
  });
});
