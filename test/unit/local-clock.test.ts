import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fastForwardClock, scaledClock } from '../../local/clock';

const DAY = 86_400_000;
const from = Date.parse('2026-11-01T00:00:00Z');
const until = from + 30 * DAY;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.parse('2026-12-01T00:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a fast-forward clock', () => {
  it('stands at its start until started, then runs the month at its scale and real time after it', () => {
    const clock = fastForwardClock({ from: new Date(from), until: new Date(until), scale: 43_200 });
    vi.advanceTimersByTime(5_000);
    expect(clock.now()).toBe(from);
    clock.start();
    vi.advanceTimersByTime(1_000);
    expect(clock.now()).toBe(from + 43_200_000);
    // 30 days at 43,200x are 60 s; then one real second is one second.
    vi.advanceTimersByTime(59_000);
    expect(clock.now()).toBe(until);
    vi.advanceTimersByTime(1_000);
    expect(clock.now()).toBe(until + 1_000);
  });

  it('turns business time into real waits, across the end of the fast period', () => {
    const clock = fastForwardClock({ from: new Date(from), until: new Date(until), scale: 43_200 });
    clock.start();
    // A three-day follow-up: 6 s at 43,200x.
    expect(clock.realMsFor(3 * DAY)).toBe(6_000);
    expect(clock.realMsUntil(from + DAY)).toBe(2_000);
    vi.advanceTimersByTime(59_000);
    // At day 29.5, two days: half a day is left of the fast period (1 s), a day and a half runs at real speed.
    expect(clock.realMsFor(2 * DAY)).toBe(1_000 + 1.5 * DAY);
    expect(clock.realMsUntil(from)).toBe(0);
  });

  it('refuses a scale below 1 or an end before the start', () => {
    expect(() => fastForwardClock({ from: new Date(from), until: new Date(until), scale: 0.5 })).toThrow(RangeError);
    expect(() => fastForwardClock({ from: new Date(until), until: new Date(from), scale: 10 })).toThrow(RangeError);
  });
});

describe('the default clock', () => {
  it('is real time, with business waits scaled', () => {
    const clock = scaledClock(1_440);
    expect(clock.now()).toBe(Date.now());
    expect(clock.realMsFor(DAY)).toBe(60_000);
    expect(clock.realMsUntil(Date.now() + DAY)).toBe(60_000);
    expect(clock.fastForward).toBeUndefined();
  });
});
