import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseScheduleExpression, startSchedules } from '../../local/schedules';

describe('parseScheduleExpression', () => {
  it.each([
    ['rate(15 minutes)', 900_000],
    ['rate(1 minute)', 60_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(2 days)', 172_800_000],
  ])('%s', (expression, periodMs) => {
    expect(parseScheduleExpression(expression)).toEqual({ kind: 'rate', periodMs });
  });

  it.each(['rate(1 hours)', 'rate(5 minute)', 'rate(0 minutes)', 'rate(5 weeks)', 'every 5 minutes'])('rejects %s', (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow(/invalid schedule expression/);
  });

  it('finds the next fire time of a cron expression in UTC', () => {
    const weekdaysAtNine = parseScheduleExpression('cron(0 9 ? * MON-FRI *)');
    if (weekdaysAtNine.kind !== 'cron') throw new Error('expected cron');
    // Friday 2025-01-03 10:00 UTC -> Monday 2025-01-06 09:00 UTC
    expect(new Date(weekdaysAtNine.next(Date.UTC(2025, 0, 3, 10))).toISOString()).toBe('2025-01-06T09:00:00.000Z');

    const quarterHours = parseScheduleExpression('cron(0/15 * * * ? *)');
    if (quarterHours.kind !== 'cron') throw new Error('expected cron');
    expect(new Date(quarterHours.next(Date.UTC(2025, 0, 1, 12, 7, 30))).toISOString()).toBe('2025-01-01T12:15:00.000Z');
  });

  it.each(['cron(0 9 * * * *)', 'cron(0 9 L * ? *)', 'cron(0 9 * *)', 'cron(0/0 * * * ? *)'])('rejects %s', (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow(/invalid schedule expression/);
  });
});

describe('startSchedules', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires on the scaled period and never overlaps runs of one rule', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const logs: string[] = [];
    const schedules = startSchedules({
      // 15 minutes at 900x pass in one second; each run takes 2.5 s.
      rules: [
        {
          name: 'aggregate',
          scheduleExpression: 'rate(15 minutes)',
          invoke: async () => {
            running += 1;
            maxRunning = Math.max(maxRunning, running);
            await new Promise((resolve) => setTimeout(resolve, 2_500));
            running -= 1;
            runs += 1;
          },
        },
      ],
      timeScale: 900,
      log: (line) => logs.push(line),
    });

    await vi.advanceTimersByTimeAsync(10_000);
    // stop() waits for the run in progress.
    const stopped = schedules.stop();
    await vi.advanceTimersByTimeAsync(2_500);
    await stopped;

    expect(maxRunning).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(logs.some((line) => line.includes('previous run still going, skipped'))).toBe(true);
  });

  it('runs a rule on demand after the run in progress, passing its outcome', async () => {
    const order: string[] = [];
    let calls = 0;
    const schedules = startSchedules({
      rules: [
        {
          name: 'aggregate',
          scheduleExpression: 'rate(1 day)',
          invoke: async () => {
            const call = ++calls;
            order.push(`start ${call}`);
            await new Promise((resolve) => setTimeout(resolve, 100));
            order.push(`end ${call}`);
            if (call === 2) throw new Error('second run failed');
            return call;
          },
        },
      ],
      timeScale: 1,
      log: () => {},
    });

    const outcomes = Promise.allSettled([schedules.trigger('aggregate'), schedules.trigger('aggregate')]);
    await vi.advanceTimersByTimeAsync(300);

    expect(await outcomes).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: new Error('second run failed') },
    ]);
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    await expect(schedules.trigger('missing')).rejects.toThrow('no schedule named missing');
    await schedules.stop();
  });
});
