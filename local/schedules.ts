/**
 * EventBridge schedule rules locally: each rule's target runs on the rule's period divided by the
 * time scale. Unlike EventBridge, runs of one rule never overlap: a firing that finds the previous
 * run still going is skipped, so a slow run at a high time scale cannot pile up invocations.
 *
 * `rate(...)` is exact. `cron(...)` (AWS's six fields, UTC) fires on a virtual clock that starts at
 * the real time and runs `timeScale` times faster; fields take `*`, `?`, values, lists, ranges,
 * steps and month/day names, but not `L`, `W` or `#`.
 */

export interface ScheduleRule {
  name: string;
  /** `rate(15 minutes)`, `rate(1 hour)`, `cron(0 9 * * ? *)`. */
  scheduleExpression: string;
  invoke: () => Promise<unknown>;
}

export interface SchedulesOptions {
  rules: ScheduleRule[];
  /** How many AWS seconds pass in one real second. */
  timeScale: number;
  log: (line: string) => void;
  /** Floor of the real time between firings, so a high time scale does not spin (default 1000). */
  minPeriodMs?: number;
  /** While this answers true, firings are skipped (a run by `trigger` still happens). */
  held?: () => boolean;
}

export interface Schedules {
  /** Runs the rule now, after any run in progress; rejects with the target's error. */
  trigger(name: string): Promise<unknown>;
  stop(): Promise<void>;
}

export type Schedule = { kind: 'rate'; periodMs: number } | { kind: 'cron'; next: (after: number) => number };

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export function parseScheduleExpression(expression: string): Schedule {
  const [, amount, unit] = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim()) ?? [];
  if (amount !== undefined && unit !== undefined) {
    const value = Number(amount);
    const unitMs = UNIT_MS[unit.replace(/s$/, '')];
    // EventBridge insists: rate(1 hour) but rate(2 hours).
    if (value < 1 || (value === 1) !== !unit.endsWith('s') || unitMs === undefined) {
      throw new Error(`invalid schedule expression ${expression}: use a positive value, singular unit for 1, plural otherwise`);
    }
    return { kind: 'rate', periodMs: value * unitMs };
  }
  const [, fields] = /^cron\((.+)\)$/.exec(expression.trim()) ?? [];
  if (fields !== undefined) return { kind: 'cron', next: parseCron(fields, expression) };
  throw new Error(`invalid schedule expression ${expression}: expected rate(...) or cron(...)`);
}

export function startSchedules({ rules, timeScale, log, minPeriodMs = 1000, held }: SchedulesOptions): Schedules {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
  const origin = Date.now();
  const virtualNow = () => origin + (Date.now() - origin) * timeScale;
  const states = new Map(
    rules.map((rule) => [
      rule.name,
      { rule, schedule: parseScheduleExpression(rule.scheduleExpression), running: undefined as Promise<unknown> | undefined },
    ]),
  );
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  /** One run at a time per rule: wait for the current one, then start. */
  async function run(name: string): Promise<unknown> {
    const state = states.get(name);
    if (!state) throw new Error(`no schedule named ${name}`);
    while (state.running) await state.running.catch(() => {});
    const running = state.rule.invoke();
    state.running = running;
    try {
      return await running;
    } finally {
      state.running = undefined;
    }
  }

  function arm(delayMs: number, onFire: () => void): void {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (!stopped) onFire();
      },
      Math.max(delayMs, minPeriodMs),
    );
    timers.add(timer);
  }

  function fire(name: string): void {
    if (held?.()) return;
    if (states.get(name)?.running) {
      log(`schedule ${name}: previous run still going, skipped`);
      return;
    }
    run(name).catch((error: unknown) => {
      log(`schedule ${name} failed: ${(error as Error).name}: ${(error as Error).message}`);
    });
  }

  function scheduleNext(name: string, schedule: Schedule): void {
    const delayMs = schedule.kind === 'rate' ? schedule.periodMs / timeScale : (schedule.next(virtualNow()) - virtualNow()) / timeScale;
    arm(delayMs, () => {
      fire(name);
      scheduleNext(name, schedule);
    });
  }

  for (const [name, { schedule }] of states) scheduleNext(name, schedule);

  return {
    trigger: run,
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all([...states.values()].flatMap(({ running }) => (running ? [running.catch(() => {})] : [])));
    },
  };
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** Far enough to find any fire time of a year-restricted expression. */
const SEARCH_LIMIT_MINUTES = 5 * 366 * 24 * 60;

/** `next(after)`: the first whole UTC minute strictly after `after` matching the six AWS cron fields. */
function parseCron(fields: string, expression: string): (after: number) => number {
  const parts = fields.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`invalid schedule expression ${expression}: cron takes six fields`);
  const [minute, hour, dayOfMonth, month, dayOfWeek, year] = parts as [string, string, string, string, string, string];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new Error(`invalid schedule expression ${expression}: exactly one of day-of-month and day-of-week must be ?`);
  }
  // Each field's matcher, with the part of the time it reads.
  const matchers: Array<[matches: (value: number) => boolean, valueOf: (d: Date) => number]> = [
    [field(minute, 0, 59, [], expression), (d) => d.getUTCMinutes()],
    [field(hour, 0, 23, [], expression), (d) => d.getUTCHours()],
    [field(dayOfMonth, 1, 31, [], expression), (d) => d.getUTCDate()],
    [field(month, 1, 12, MONTHS, expression), (d) => d.getUTCMonth() + 1],
    [field(dayOfWeek, 1, 7, DAYS, expression), (d) => d.getUTCDay() + 1],
    [field(year, 1970, 2199, [], expression), (d) => d.getUTCFullYear()],
  ];
  return (after) => {
    let t = Math.floor(after / 60_000) * 60_000 + 60_000;
    for (let i = 0; i < SEARCH_LIMIT_MINUTES; i += 1, t += 60_000) {
      const d = new Date(t);
      if (matchers.every(([matches, valueOf]) => matches(valueOf(d)))) return t;
    }
    throw new Error(`schedule expression ${expression} never fires`);
  };
}

function field(text: string, min: number, max: number, names: string[], expression: string): (value: number) => boolean {
  if (text === '*' || text === '?') return () => true;
  const number = (token: string) => {
    const named = names.indexOf(token.toUpperCase());
    const value = named >= 0 ? named + 1 : Number(token);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`invalid schedule expression ${expression}: ${JSON.stringify(token)} (L, W and # are not supported locally)`);
    }
    return value;
  };
  const allowed = new Set<number>();
  for (const item of text.split(',')) {
    const [range = '', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`invalid schedule expression ${expression}: step ${JSON.stringify(stepText)}`);
    const [from, to] = range === '*' ? [min, max] : range.split('-').map(number);
    // split() gives at least one part: there is always a start.
    if (from === undefined) throw new Error(`invalid schedule expression ${expression}: empty range`);
    const last = to ?? (stepText === undefined ? from : max);
    for (let value = from; value <= last; value += step) allowed.add(value);
  }
  return (value) => allowed.has(value);
}
