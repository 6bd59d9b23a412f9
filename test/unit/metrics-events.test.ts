import { describe, expect, it } from 'vitest';
import { contributionsOf } from '../../core/metrics/events';
import { metricsReport } from '../../core/metrics/report';
import { AggregateStore, event } from './metrics-fixtures';

const at = '2026-03-10T09:00:00.000Z';
const totalsOf = (events: ReturnType<typeof event>[]) => {
  const store = new AggregateStore();
  store.fold(events, '2026-04-01T00:00:00.000Z');
  return metricsReport({ from: '2026-03-01', to: '2026-03-31', groupBy: 'day' }, store.all()).totals;
};

describe('email outcomes', () => {
  it('come from SES events and unsubscribes, not from engagement posted through the events API', () => {
    // An open and a click reported through POST /v1/leads/{id}/events score the lead; they are no email outcome.
    expect(contributionsOf(event('engagement', at, { type: 'email_open', eventAt: at }))).toEqual([]);
    expect(contributionsOf(event('engagement', at, { type: 'email_click', eventAt: at }))).toEqual([]);
    for (const type of ['email_delivered', 'email_opened', 'email_clicked', 'email_bounced', 'email_complained', 'unsubscribed']) {
      expect(contributionsOf(event(type, at, { messageId: 'm1' })), type).toHaveLength(1);
    }
  });

  it('an open reported without any send no longer makes an open rate above 100%', () => {
    // Before: 21 opens posted as engagement against 2 sends read as an open rate of 1050%.
    const opens = Array.from({ length: 21 }, () => event('engagement', at, { type: 'email_open', eventAt: at }));
    const sends = [event('email_sent', at, { recipient: 'prospect' }), event('email_sent', at, { recipient: 'prospect' })];
    expect(totalsOf([...sends, ...opens]).email).toMatchObject({ sent: 2, opened: 0, openRate: 0 });
    expect(totalsOf(opens).email.openRate).toBeNull();
  });

  it('caps every rate at 100%: SES events of emails sent outside the range, or twice over', () => {
    const email = totalsOf([
      event('email_sent', at, { recipient: 'prospect' }),
      ...['email_delivered', 'email_delivered', 'email_opened', 'email_opened', 'email_opened', 'email_clicked', 'email_clicked'].map(
        (type) => event(type, at, { messageId: 'm1' }),
      ),
      event('email_bounced', at, { bounceType: 'Transient' }),
      event('email_bounced', at, { bounceType: 'Permanent' }),
      event('email_complained', at, {}),
      event('email_complained', at, {}),
      event('unsubscribed', at, { via: 'one-click' }),
      event('unsubscribed', at, { via: 'link' }),
    ]).email;
    expect(email).toMatchObject({ sent: 1, delivered: 2, opened: 3, clicked: 2 });
    for (const rate of ['deliveryRate', 'openRate', 'clickRate', 'bounceRate', 'complaintRate', 'unsubscribeRate'] as const) {
      expect(email[rate], rate).toBe(1);
    }
  });

  it('count for the marketing campaign the email was sent for', () => {
    const sent = contributionsOf(event('email_sent', at, { recipient: 'prospect', marketing: true, campaignId: 'cmp_spring', step: 1 }));
    expect(sent.map((c) => [c.key.dimension, c.key.value])).toEqual([
      ['total', 'all'],
      ['campaign', 'cmp_spring'],
    ]);
    const opened = contributionsOf(event('email_opened', at, { messageId: 'm1', campaignId: 'cmp_spring', step: 1 }));
    expect(opened.map((c) => c.key.dimension)).toEqual(['total', 'campaign']);
    expect(opened[1]!.delta.counters).toEqual({ email_opened: 1 });
    // A lifecycle email has no campaign: the day's total only.
    expect(contributionsOf(event('email_delivered', at, { messageId: 'm2' })).map((c) => c.key.dimension)).toEqual(['total']);
  });
});
