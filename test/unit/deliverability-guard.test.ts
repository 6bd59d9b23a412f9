import { describe, expect, it } from 'vitest';
import {
  GUARD_SHARDS,
  defaultGuardSettings,
  guardHour,
  guardHoursBack,
  guardSettingsSchema,
  guardShard,
  guardWindow,
  judgeDeliverability,
  sumGuardShards,
} from '../../core/deliverability-guard';

const hour = (sent: number, bounced = 0, complained = 0) => ({ sent, bounced, complained });

describe('deliverability guard settings', () => {
  it('defaults to the SES review levels over the last 1,000 sends, judging from 100', () => {
    expect(defaultGuardSettings).toEqual({ windowSends: 1000, minimumSends: 100, maxBounceRate: 0.05, maxComplaintRate: 0.001 });
    expect(guardSettingsSchema.parse({ minimumSends: 20 })).toMatchObject({ minimumSends: 20, windowSends: 1000 });
    expect(() => guardSettingsSchema.parse({ maxBounceRate: 2 })).toThrow();
  });
});

describe('judgeDeliverability', () => {
  it('judges nothing below the minimum of sends, however bad it looks', () => {
    expect(judgeDeliverability(hour(99, 50, 10), defaultGuardSettings)).toMatchObject({ pause: false, why: 'too_few_sends' });
  });

  it('pauses when hard bounces reach 5% of the sends', () => {
    expect(judgeDeliverability(hour(100, 4), defaultGuardSettings)).toMatchObject({ pause: false, why: 'within_limits' });
    const verdict = judgeDeliverability(hour(100, 5), defaultGuardSettings);
    expect(verdict).toMatchObject({ pause: true });
    expect(verdict.pause && verdict.reason).toBe('deliverability guard: bounce rate 5% (limit 5%) over the last 100 sends');
  });

  it('pauses when complaints reach 0.1% of the sends', () => {
    expect(judgeDeliverability(hour(1001, 0, 1), defaultGuardSettings)).toMatchObject({ pause: false });
    const verdict = judgeDeliverability(hour(1000, 0, 1), defaultGuardSettings);
    expect(verdict.pause && verdict.reason).toBe('deliverability guard: complaint rate 0.1% (limit 0.1%) over the last 1000 sends');
  });

  it('names both rates when both are over', () => {
    const verdict = judgeDeliverability(hour(200, 20, 2), defaultGuardSettings);
    expect(verdict.pause && verdict.reason).toMatch(/bounce rate 10% .* and complaint rate 1% /);
  });
});

describe('guardWindow', () => {
  it('reads whole hours back from the newest until they hold the window of sends', () => {
    // Newest first: a clean recent hour, then the bad launch of yesterday.
    const hours = [hour(600, 6), hour(600, 60), hour(5000, 500)];
    expect(guardWindow(hours, defaultGuardSettings)).toEqual(hour(1200, 66));
    expect(judgeDeliverability(guardWindow(hours, defaultGuardSettings), defaultGuardSettings).pause).toBe(true);
    // Old bounces leave the window once enough clean mail went out.
    expect(guardWindow([hour(1000, 10), ...hours], defaultGuardSettings)).toEqual(hour(1000, 10));
  });

  it('takes what there is when the hours run out', () => {
    expect(guardWindow([hour(10, 1), hour(20)], defaultGuardSettings)).toEqual(hour(30, 1));
  });
});

describe('hours and shards', () => {
  it('counts a message in the UTC hour it was sent, in one stable shard', () => {
    expect(guardHour('2026-03-10T09:59:59.999Z')).toBe('2026-03-10T09');
    expect(guardShard('msg-1')).toBe(guardShard('msg-1'));
    const shards = new Set(Array.from({ length: 200 }, (_, i) => guardShard(`msg-${i}`)));
    expect(shards.size).toBe(GUARD_SHARDS);
  });

  it('lists the hours back from the current one, newest first', () => {
    expect(guardHoursBack(new Date('2026-03-10T01:30:00.000Z'), 3)).toEqual(['2026-03-10T01', '2026-03-10T00', '2026-03-09T23']);
  });

  it('sums the shards of an hour, missing counters as zero', () => {
    expect(sumGuardShards([{ sent: 3, bounced: 1 }, { sent: 2, complained: 1 }, {}])).toEqual(hour(5, 1, 1));
  });
});
