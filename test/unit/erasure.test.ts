import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planCapture, touchEntries } from '../../core/capture';
import { leadIdFor } from '../../core/lead';
import { anonymizeEntry, auditRecord, planErasure, suppressionHash, type StoredItem } from '../../core/erasure';
import { historyEntry, type HistoryEntry } from '../../core/history';
import { keys } from '../../core/keys';
import { leadExport } from '../../core/lead-export';
import { contributionsOf } from '../../core/metrics/events';
import { defaultScoringRules } from '../../core/scoring';
import { validateSubmission } from '../../core/submission';
import { moveLead } from '../../core/transitions';

/** A lead with personal data everywhere a form can put it, and a history as the platform writes it. */
const personal = {
  email: 'Ada.Lovelace@Example.com',
  firstName: 'Ada',
  lastName: 'Lovelace',
  phone: '+44 20 7946 0958',
  company: 'Analytical Engines',
  jobTitle: 'VP Engineering',
  message: 'Call me on my mobile, 07700 900123',
  favouriteColour: 'ultramarine-7731',
  utm_source: 'newsletter',
  utm_campaign: 'spring-launch',
  utm_term: 'ada lovelace',
  utm_content: 'ada-personal-link',
  referrer: 'https://mail.example.com/?u=ada.lovelace',
  landingPage: 'https://www.example.com/pricing?email=ada.lovelace%40example.com',
  consent: 'yes',
};
const personalValues = ['ada', 'lovelace', '7946', '07700', 'analytical', 'ultramarine', 'mobile', 'ada-personal', 'u=ada'];

const created = new Date('2026-03-01T09:00:00Z');
const lead = planCapture(
  undefined,
  validateSubmission(personal),
  { formId: 'pricing' },
  created,
  defaultScoringRules,
  {},
  {
    leadId: leadIdFor(personal.email, 'unit-test-lead-id-key'),
  },
).lead;
const entries: HistoryEntry[] = [
  ...touchEntries(undefined, lead),
  moveLead(lead, { stage: 'qualified', reason: 'score 80', currency: 'USD' }, 'workflow', new Date('2026-03-01T09:00:01Z'), {
    name: 'Sam Rivera',
    email: 'sam.rivera@example.com',
  }).entry,
  historyEntry(lead.leadId, 'email_sent', 'workflow', new Date('2026-03-02T09:00:00Z'), {
    template: 'prospect-check-in',
    recipient: 'prospect',
    stage: 'presentation',
    messageId: 'ses-message-1',
  }),
  historyEntry(lead.leadId, 'engagement', 'api-key:crm', new Date('2026-03-02T10:00:00Z'), {
    type: 'email_open',
    eventAt: '2026-03-02T09:59:00.000Z',
    properties: { url: 'https://www.example.com/?who=ada.lovelace' },
  }),
  historyEntry(lead.leadId, 'email_opened', 'ses', new Date('2026-03-02T10:00:01Z'), {
    messageId: 'ses-message-1',
    campaignId: 'cmp_spring',
    step: 1,
    userAgent: 'Ada Lovelace mail client',
  }),
  historyEntry(lead.leadId, 'stage_changed', 'api-key:rep', new Date('2026-03-03T10:00:00Z'), {
    from: 'presentation',
    to: 'objection',
    secondsInPrevious: 3600,
    reason: 'Ada thinks it is too expensive',
    objection: { type: 'price', note: 'Ada Lovelace says her budget is lower' },
    owner: 'sam.rivera@example.com',
    source: 'newsletter',
    leadCreatedAt: lead.createdAt,
  }),
  historyEntry(lead.leadId, 'score_changed', 'workflow', new Date('2026-03-03T10:00:00Z'), { to: { total: 70, grade: 'B' }, cause: 'Ada' }),
];

/** As stored: table keys, and the byDay position the entry was written at (here, at its `at`). */
function stored(entry: HistoryEntry): StoredItem {
  return {
    ...keys.history(entry.leadId, entry.at, entry.entryId),
    ...keys.eventDay(entry.leadId, entry.at, entry.entryId),
    ...entry,
    ingestedAt: entry.at,
  };
}

const partition: StoredItem[] = [
  { ...keys.lead(lead.leadId), ...lead },
  ...entries.map(stored),
  // A claim as written before claims had states, and one sent through claim -> send -> confirm.
  { ...keys.emailClaim(lead.leadId, 'abc'), entryId: 'x', at: '2026-03-02T09:00:00.000Z' },
  {
    ...keys.emailClaim(lead.leadId, 'def'),
    state: 'sent',
    claimedAt: '2026-03-02T09:00:00.000Z',
    attempts: 2,
    messageId: 'ses-message-1',
    sentAt: '2026-03-02T09:00:00.100Z',
  },
  { ...keys.workflow(lead.leadId), taskToken: 'token', stage: 'objection', registeredAt: '2026-03-03T10:00:00.000Z' },
  { ...keys.idempotencyRef(lead.leadId, 'pricing', 'k1'), expiresAt: 1 },
];

const positionOf = (entry: HistoryEntry) => `${entry.at}#${entry.entryId}`;

describe('planErasure', () => {
  it('deletes the history the aggregator has folded and anonymizes in place the entries it still needs', () => {
    // Folded up to (and including) the routing move.
    const plan = planErasure(partition, positionOf(entries[1]!));
    expect(plan.counts).toEqual({
      historyDeleted: 4,
      historyAnonymized: 3,
      emailClaims: 2,
      idempotencyRecords: 1,
      workflowWaits: 1,
      other: 0,
    });
    expect(plan.puts.map((item) => item.type)).toEqual(['email_sent', 'email_opened', 'stage_changed']);
    // An SES event keeps only its campaign: what the campaign's KPIs count.
    expect(plan.puts[1]!.data).toEqual({ campaignId: 'cmp_spring', step: 1 });
    // An email keeps whom it went to and its template, not SES's MessageId.
    expect(plan.puts[0]!.data).toEqual({ recipient: 'prospect', template: 'prospect-check-in' });
    expect(plan.deletes).toContainEqual(keys.emailClaim(lead.leadId, 'def'));
    // Same keys and byDay position: the aggregator folds each exactly once, as before.
    for (const put of plan.puts) {
      const original = partition.find((item) => item.sk === put.sk)!;
      expect([put.pk, put.gsi2pk, put.gsi2sk, put.ingestedAt]).toEqual([
        original.pk,
        original.gsi2pk,
        original.gsi2sk,
        original.ingestedAt,
      ]);
      expect(put.erased).toBe(true);
    }
    // Never the lead item: it goes last, with the audit record.
    expect(plan.deletes).not.toContainEqual(keys.lead(lead.leadId));
    expect(plan.deletes).toContainEqual(keys.idempotency('pricing', 'k1'));
    expect(plan.deletes).toContainEqual(keys.idempotencyRef(lead.leadId, 'pricing', 'k1'));
    expect(plan.deletes).toContainEqual(keys.workflow(lead.leadId));
  });

  it('keeps every event that counts when the aggregator never ran, and deletes those that count nothing', () => {
    const plan = planErasure(partition, undefined);
    expect(plan.counts.historyAnonymized).toBe(5);
    // score_changed counts towards no metric, nor does an engagement entry (it scores; email outcomes come from SES).
    expect(plan.counts.historyDeleted).toBe(2);
  });

  it('leaves none of the personal values in what it writes back', () => {
    const written = JSON.stringify(planErasure(partition, undefined).puts).toLowerCase();
    for (const value of personalValues) expect(written).not.toContain(value);
  });

  it('is the same plan when applied to its own result (an erasure finished by a second request)', () => {
    const first = planErasure(partition, undefined);
    const afterFirst = [{ ...keys.lead(lead.leadId), ...lead }, ...first.puts];
    const second = planErasure(afterFirst, undefined);
    expect(second.puts).toEqual(first.puts);
  });
});

describe('anonymizeEntry', () => {
  it('keeps exactly what the metrics count: every entry contributes the same before and after', () => {
    for (const entry of entries) {
      const position = positionOf(entry);
      expect(contributionsOf({ ...anonymizeEntry(entry), position }), entry.type).toEqual(contributionsOf({ ...entry, position }));
    }
  });

  it('contributes the same for any stage move, capture and engagement (property)', () => {
    const text = fc.string({ maxLength: 30 });
    const data = fc.record(
      {
        from: fc.constantFrom('new', 'qualified', 'presentation', 'closing'),
        to: fc.constantFrom('qualified', 'won', 'lost', 'objection'),
        secondsInPrevious: fc.nat(),
        dealValue: fc.nat(),
        owner: text,
        source: text,
        leadCreatedAt: fc.constant('2026-03-01T00:00:00.000Z'),
        reason: text,
        touch: fc.record({ campaign: text, referrer: text }, { requiredKeys: [] }),
        type: fc.constantFrom('email_open', 'email_click', 'visit'),
        eventAt: fc.constantFrom('2026-03-01T00:00:00.000Z', '2026-03-09T00:00:00.000Z'),
        recipient: fc.constantFrom('prospect', 'team'),
        properties: fc.dictionary(text, text),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.constantFrom('captured', 'stage_changed', 'email_sent', 'engagement', 'email_bounced', 'note'), data, (type, data) => {
        const entry = { leadId: 'ld_x', entryId: 'e1', at: '2026-03-05T00:00:00.000Z', type, actor: 'workflow', data };
        const position = `${entry.at}#e1`;
        expect(contributionsOf({ ...anonymizeEntry(entry), position })).toEqual(contributionsOf({ ...entry, position }));
      }),
    );
  });
});

describe('suppressionHash', () => {
  it('is keyed: the same address under another salt is another hash, and case and spaces do not matter', () => {
    const salt = 'a'.repeat(32);
    expect(suppressionHash(' Ada.Lovelace@EXAMPLE.com ', salt)).toBe(suppressionHash('ada.lovelace@example.com', salt));
    expect(suppressionHash('ada.lovelace@example.com', 'b'.repeat(32))).not.toBe(suppressionHash('ada.lovelace@example.com', salt));
    expect(suppressionHash('ada.lovelace@example.com', salt)).not.toContain('ada');
  });

  it('refuses a short salt', () => {
    expect(() => suppressionHash('ada@example.com', 'short')).toThrow(/at least 16/);
  });
});

describe('auditRecord', () => {
  it('names the lead id, the action, the actor, the time and the counts, nothing of the lead', () => {
    const record = auditRecord('lead_erased', lead.leadId, 'api-key:dpo', new Date('2026-03-04T00:00:00Z'), { historyDeleted: 3 });
    expect(record).toEqual({
      auditId: expect.stringMatching(/^[0-9a-f]{12}$/),
      action: 'lead_erased',
      leadId: lead.leadId,
      actor: 'api-key:dpo',
      at: '2026-03-04T00:00:00.000Z',
      counts: { historyDeleted: 3 },
    });
  });
});

describe('leadExport', () => {
  it('holds the lead, every history entry in order, engagement, emails and its consent records', () => {
    const document = leadExport(lead, partition, false, new Date('2026-03-05T00:00:00Z'));
    expect(document.lead).toEqual(lead);
    expect(document.history.map((entry) => entry.type)).toEqual(entries.map((entry) => entry.type));
    expect(document.engagementEvents).toEqual([
      {
        at: entries[3]!.at,
        type: 'email_open',
        eventAt: '2026-03-02T09:59:00.000Z',
        properties: { url: 'https://www.example.com/?who=ada.lovelace' },
      },
    ]);
    expect(document.emails).toEqual([{ at: entries[2]!.at, template: 'prospect-check-in', recipient: 'prospect', status: 'sent' }]);
    expect(document.consent).toEqual({ granted: true, records: lead.consentRecords });
    expect(document.consent.records).toEqual([expect.objectContaining({ at: lead.createdAt, formId: 'pricing', method: 'form' })]);
    expect(document.workflow).toEqual({ waitingIn: 'objection', since: '2026-03-03T10:00:00.000Z' });
    const withdrawn = leadExport(
      { ...lead, unsubscribedAt: '2026-03-04T08:00:00.000Z' },
      partition,
      false,
      new Date('2026-03-05T00:00:00Z'),
    );
    expect(withdrawn.consent).toEqual({ granted: false, records: lead.consentRecords, withdrawnAt: '2026-03-04T08:00:00.000Z' });
    expect(document.idempotencyRecords).toBe(1);
    expect(JSON.stringify(document)).not.toContain('token');
  });

  it('leaves out anonymized entries of an earlier, erased lead of the same address', () => {
    const earlier = stored(
      historyEntry(lead.leadId, 'stage_changed', 'workflow', new Date('2026-01-01T00:00:00Z'), { from: 'new', to: 'lost' }),
    );
    const document = leadExport(lead, [...partition, earlier], true, new Date());
    expect(document.history).toHaveLength(entries.length);
    expect(document.suppressed).toBe(true);
  });
});
