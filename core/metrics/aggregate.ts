import { stages, type Stage } from '../stages';

/** What happened to the emails sent to prospects, as far as the platform hears of it. */
export const emailOutcomes = ['sent', 'delivered', 'opened', 'clicked', 'bounced', 'complained', 'unsubscribed'] as const;
export type EmailOutcome = (typeof emailOutcomes)[number];

/**
 * The additive facts of one day (in one dimension value): counters that only ever get added to,
 * and the exact sales-cycle length of every deal won that day. Facts, not rates: the KPIs are
 * derived at query time (core/metrics/kpis.ts), so a definition can change without re-folding.
 *
 * The cycle lengths are kept as a list rather than a histogram so that medians are exact; a day
 * holds one number per deal won (about 8 bytes), far below an item's 400 KB for any sales team.
 */
export interface Aggregate {
  counters: Record<string, number>;
  cycleSeconds: number[];
}

const moveNames = Object.fromEntries(
  stages.map((from) => [from, Object.fromEntries(stages.map((to) => [to, `moves_${from}_${to}`]))]),
) as Record<Stage, Record<Stage, string>>;

/** Counter names, flat so that DynamoDB's `ADD` can create and increment each one. */
export const counter = {
  /** New leads captured. */
  leads: 'leads',
  /** Stage moves from one stage to another (every allowed edge of the stage machine). */
  moves: (from: Stage, to: Stage) => moveNames[from][to],
  /** Seconds spent in a stage by the leads that left it. */
  secondsIn: (stage: Stage) => `secondsIn_${stage}`,
  /** Won deals that carried a value, and the sum of those values, per currency (ISO 4217): values in two currencies never add up. */
  deals: (currency: string) => `deals_${currency}`,
  dealValue: (currency: string) => `dealValue_${currency}`,
  email: (outcome: EmailOutcome) => `email_${outcome}`,
};

/**
 * ISO 4217's code for "no currency": where deal values sit whose currency is unknown. Aggregates
 * folded before deal values were kept per currency hold them in `deals`/`dealValue`, summed over
 * whatever currencies there were; they are reported under this code rather than passed off as one.
 */
export const UNKNOWN_CURRENCY = 'XXX';
const legacyDealCounters = { deals: 'deals', dealValue: 'dealValue' } as const;

const fixedCounterNames: ReadonlySet<string> = new Set([
  counter.leads,
  legacyDealCounters.deals,
  legacyDealCounters.dealValue,
  ...stages.flatMap((from) => stages.map((to) => counter.moves(from, to))),
  ...stages.map((stage) => counter.secondsIn(stage)),
  ...emailOutcomes.map((outcome) => counter.email(outcome)),
]);

const CURRENCY_COUNTER = /^(deals|dealValue)_([A-Z]{3})$/;

/** Whether a stored attribute is one of the aggregate's counters (the per-currency deal counters included). */
export function isCounterName(name: string): boolean {
  return fixedCounterNames.has(name) || CURRENCY_COUNTER.test(name);
}

/** The deals won and their summed values, per currency. */
export function dealsByCurrency(aggregate: Aggregate): Map<string, { count: number; value: number }> {
  const byCurrency = new Map<string, { count: number; value: number }>();
  const add = (currency: string, field: 'count' | 'value', amount: number) => {
    const entry = byCurrency.get(currency) ?? { count: 0, value: 0 };
    entry[field] += amount;
    byCurrency.set(currency, entry);
  };
  for (const [name, amount] of Object.entries(aggregate.counters)) {
    if (!amount) continue;
    const match = CURRENCY_COUNTER.exec(name);
    const [, kind, currency] = match ?? [];
    if (kind && currency) add(currency, kind === 'deals' ? 'count' : 'value', amount);
    else if (name === legacyDealCounters.deals) add(UNKNOWN_CURRENCY, 'count', amount);
    else if (name === legacyDealCounters.dealValue) add(UNKNOWN_CURRENCY, 'value', amount);
  }
  return byCurrency;
}

export function emptyAggregate(): Aggregate {
  return { counters: {}, cycleSeconds: [] };
}

/** Adds `delta` into `target` (mutating it): aggregates are sums, so any grouping of days adds up. */
export function addInto(target: Aggregate, delta: Aggregate): Aggregate {
  for (const [name, value] of Object.entries(delta.counters)) target.counters[name] = (target.counters[name] ?? 0) + value;
  target.cycleSeconds.push(...delta.cycleSeconds);
  return target;
}

export function sumAggregates(aggregates: Iterable<Aggregate>): Aggregate {
  const total = emptyAggregate();
  for (const aggregate of aggregates) addInto(total, aggregate);
  return total;
}

export function count(aggregate: Aggregate, name: string): number {
  return aggregate.counters[name] ?? 0;
}
