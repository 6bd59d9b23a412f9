import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { readMailbox } from '../../local/ses';
import { eventually, json, postJson, qualifiedLead, uniqueEmail, keyed } from './helpers';

describe('lead-supplied text in emails', () => {
  it('reaches the owner reminder escaped in its HTML part, as text in its text part', async () => {
    const marker = randomUUID().slice(0, 8);
    const hostile = `<img src=x data-m="${marker}" onerror=alert(1)>`;
    const captured = await postJson('default', { ...qualifiedLead(uniqueEmail('hostile'), hostile) }, keyed());
    expect(captured.status).toBe(202);
    expect((await json(captured)).leadId).toEqual(expect.any(String));

    const reminder = await eventually(
      'the owner reminder about the lead',
      async () =>
        (await readMailbox(inject('mailboxUrl'))).find((mail) => mail.subject.includes(marker) && mail.subject.startsWith('Reminder')),
      45_000,
    );
    expect(reminder.html).toContain(`&lt;img src=x data-m=&quot;${marker}&quot; onerror=alert(1)&gt;`);
    expect(reminder.html).not.toContain(`data-m="${marker}"`);
    expect(reminder.text).toContain(hostile);
  });
});
