import { funnelStages } from '../stage-machine';
import { stages, type Stage } from '../stages';
import { count, counter, dealsByCurrency, emailOutcomes, type Aggregate, type EmailOutcome } from './aggregate';

export type FunnelStage = (typeof funnelStages)[number];

const SECONDS_PER_DAY = 86_400;

/**
 * One funnel stage over a range. `reached` counts entries into the stage (captures for `new`;
 * a lead that comes back, e.g. objection -> presentation, enters again). `conversion` is the share
 * of the moves out of the stage that went forward, to a later funnel stage: of the leads that left
 * presentation, how many went on to objection handling or closing rather than lost. Counting exits
 * rather than entries keeps it in 0..1 although objection is a detour many deals skip, and leaves
 * out leads still sitting in the stage. Null when nobody left the stage in the range.
 */
export interface FunnelStageKpis {
  stage: FunnelStage;
  reached: number;
  left: number;
  advanced: number;
  conversion: number | null;
}

export interface Kpis {
  leads: number;
  /** Moves into qualified (from new or from nurturing). */
  qualified: number;
  /** qualified / leads of the same range (a flow ratio: leads captured earlier can qualify in it). */
  qualificationRate: number | null;
  funnel: FunnelStageKpis[];
  won: number;
  lost: number;
  /** won / (won + lost) */
  winRate: number | null;
  /** Won deals with a value, per currency (ISO 4217; `XXX`: unknown): values are never added across currencies. */
  deals: Record<string, DealKpis>;
  /** Capture to won, per deal won in the range. */
  salesCycleDays: { deals: number; mean: number | null; median: number | null };
  /** Mean time in a stage of the leads that left it in the range. */
  averageDaysInStage: Record<Stage, number | null>;
  email: EmailKpis;
}

export interface DealKpis {
  count: number;
  value: number;
  average: number;
}

/**
 * Counts of prospect emails and what became of them; each rate is per email sent, in 0..1. SES
 * events can outnumber the sends of a range (an open today of an email sent last month, two
 * opens of one email), so each count is capped at the sends before it is divided.
 */
export type EmailKpis = Record<EmailOutcome, number> & {
  deliveryRate: number | null;
  openRate: number | null;
  clickRate: number | null;
  bounceRate: number | null;
  complaintRate: number | null;
  unsubscribeRate: number | null;
};

export interface WeakestStage {
  stage: Exclude<FunnelStage, 'won'>;
  conversion: number;
  explanation: string;
}

/** What a low conversion out of each stage points at (seeds/sales-process.txt, "Sales Metrics and Analysis"). */
export const weakStageExplanations: Record<Exclude<FunnelStage, 'won'>, string> = {
  new: 'Few new leads qualify: review lead sources and targeting, and the qualification (BANT) criteria and scoring.',
  qualified: 'Qualified leads rarely get to a presentation: follow up faster and check that qualification asks the right questions.',
  presentation: 'Presentations may need refinement, or reps more training in tailoring them to the prospect.',
  objection: 'Objections are often not overcome: train reps in handling price, feature and timing concerns, with case studies to hand.',
  closing: 'Deals stall at closing: review closing techniques and terms, and coach reps on recognizing when a prospect is ready.',
};

export function computeKpis(aggregate: Aggregate): Kpis {
  const moves = stageMoves(aggregate);
  const leads = count(aggregate, counter.leads);
  const qualified = moves.into.qualified;
  const won = moves.into.won;
  const lost = moves.into.lost;
  const cycles = aggregate.cycleSeconds.map((seconds) => seconds / SECONDS_PER_DAY);

  const funnel = funnelStages.map((stage): FunnelStageKpis => {
    const left = moves.outOf[stage];
    const advanced = moves.forwardOutOf[stage];
    return { stage, reached: stage === 'new' ? leads : moves.into[stage], left, advanced, conversion: ratio(advanced, left) };
  });

  const averageDaysInStage = Object.fromEntries(
    stages.map((stage) => [stage, ratio(count(aggregate, counter.secondsIn(stage)) / SECONDS_PER_DAY, moves.outOf[stage])]),
  ) as Record<Stage, number | null>;

  return {
    leads,
    qualified,
    qualificationRate: ratio(qualified, leads),
    funnel,
    won,
    lost,
    winRate: ratio(won, won + lost),
    deals: dealKpis(aggregate),
    salesCycleDays: { deals: cycles.length, mean: mean(cycles), median: median(cycles) },
    averageDaysInStage,
    email: emailKpis(aggregate),
  };
}

/** Moves into and out of each stage, and out of each funnel stage to a later one, in one pass over the move counters. */
function stageMoves(aggregate: Aggregate) {
  const zeros = () => Object.fromEntries(stages.map((stage) => [stage, 0])) as Record<Stage, number>;
  const into = zeros();
  const outOf = zeros();
  const forwardOutOf = zeros();
  for (const from of stages) {
    for (const to of stages) {
      const n = count(aggregate, counter.moves(from, to));
      if (!n) continue;
      into[to] += n;
      outOf[from] += n;
      if (isFunnelStage(from) && isFunnelStage(to) && funnelStages.indexOf(to) > funnelStages.indexOf(from)) forwardOutOf[from] += n;
    }
  }
  return { into, outOf, forwardOutOf };
}

function isFunnelStage(stage: Stage): stage is FunnelStage {
  return (funnelStages as readonly Stage[]).includes(stage);
}

function emailKpis(aggregate: Aggregate): EmailKpis {
  const counts = Object.fromEntries(emailOutcomes.map((outcome) => [outcome, count(aggregate, counter.email(outcome))])) as Record<
    EmailOutcome,
    number
  >;
  const perSent = (n: number) => ratio(Math.min(n, counts.sent), counts.sent);
  return {
    ...counts,
    deliveryRate: perSent(counts.delivered),
    openRate: perSent(counts.opened),
    clickRate: perSent(counts.clicked),
    bounceRate: perSent(counts.bounced),
    complaintRate: perSent(counts.complained),
    unsubscribeRate: perSent(counts.unsubscribed),
  };
}

function dealKpis(aggregate: Aggregate): Record<string, DealKpis> {
  const deals: Record<string, DealKpis> = {};
  const byCurrency = [...dealsByCurrency(aggregate)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [currency, { count, value }] of byCurrency) {
    if (count > 0) deals[currency] = { count, value, average: value / count };
  }
  return deals;
}

/**
 * The funnel stage with the lowest conversion (the earlier one on a tie), with what that points
 * at; null when no lead left any stage in the range.
 */
export function weakestStage(funnel: readonly FunnelStageKpis[]): WeakestStage | null {
  let weakest: WeakestStage | null = null;
  for (const row of funnel) {
    if (row.stage === 'won' || row.conversion === null) continue;
    if (!weakest || row.conversion < weakest.conversion) {
      weakest = { stage: row.stage, conversion: row.conversion, explanation: weakStageExplanations[row.stage] };
    }
  }
  return weakest;
}

/** n / d, or null for an empty denominator: an empty range has no rate, never NaN. */
export function ratio(n: number, d: number): number | null {
  return d > 0 ? n / d : null;
}

export function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null;
}

/** The middle value, or the mean of the two middle values of an even count. */
export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number): number => sorted[index] ?? Number.NaN;
  return sorted.length % 2 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}
