import { describe, expect, it } from 'vitest';
import { contributionsOf } from '../../core/metrics/events';

const engagement = (at: string, eventAt: string) => ({
  leadId: 'ld_x',
  entryId: 'e1',
  at,
  type: 'engagement',
  actor: 'api-key:crm',
  position: `${at}#e1`,
  data: { type: 'email_open', eventAt },
});

describe('engagement contributions', () => {
  it('count on the day the engagement happened, not the day it was reported', () => {
    const days = contributionsOf(engagement('2026-03-10T09:00:00.000Z', '2026-03-06T08:30:00.000Z')).map((c) => c.key.day);
    expect(new Set(days)).toEqual(new Set(['2026-03-06']));
  });

  it('fall back to the recording day for an engagement dated after it was recorded', () => {
    const days = contributionsOf(engagement('2026-03-10T09:00:00.000Z', '2026-03-12T00:00:00.000Z')).map((c) => c.key.day);
    expect(new Set(days)).toEqual(new Set(['2026-03-10']));
  });
});
