import * as z from 'zod';
import { historyEntrySchema } from '../history';
import { stages } from '../stages';
import { counter, emptyAggregate, UNKNOWN_CURRENCY, type Aggregate, type EmailOutcome } from './aggregate';
import { dayOfTime } from './days';
import { TOTAL_VALUE, type AggregateKey, type Dimension } from './keys';

/**
 * A history entry read from the event stream, with its `position`: its byDay sort key
 * (`<ingested at>#<entryId>`), which orders events by when they were written.
 */
export const metricEventSchema = historyEntrySchema.extend({ position: z.string().min(1) });
export type MetricEvent = z.infer<typeof metricEventSchema>;

/** Sort order of the event stream: by position, i.e. by when events were written. */
export function byPosition(a: MetricEvent, b: MetricEvent): number {
  return a.position < b.position ? -1 : a.position > b.position ? 1 : 0;
}

export interface Contribution {
  key: AggregateKey;
  delta: Aggregate;
}

const capturedSchema = z.object({
  source: z.string(),
  touch: z.object({ campaign: z.string().optional() }).optional(),
});

const stageChangedSchema = z.object({
  from: z.enum(stages),
  to: z.enum(stages),
  secondsInPrevious: z.number().nonnegative(),
  dealValue: z.number().nonnegative().optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  owner: z.string().optional(),
  source: z.string().optional(),
  leadCreatedAt: z.iso.datetime({ offset: true }).optional(),
});

/**
 * History types that report what happened to an email after it was sent: SES's own events and
 * unsubscribes. Engagement entries posted through `POST /v1/leads/{id}/events` (`email_open`,
 * `email_click`) score the lead but are no email outcome: they can come without any send (a CRM
 * sync, a test), and counting them made an open rate of 1050%.
 */
const emailOutcomeByType: Record<string, EmailOutcome> = {
  email_delivered: 'delivered',
  email_opened: 'opened',
  email_clicked: 'clicked',
  email_bounced: 'bounced',
  email_complained: 'complained',
  unsubscribed: 'unsubscribed',
};

/** Dimension values become sort keys: long free text (a UTM campaign) is cut to keep keys small. */
const MAX_VALUE_LENGTH = 200;

/**
 * What one event adds to which daily aggregates: the day is the event's own UTC day (`at`), so an
 * event written late still counts for the day it happened. Events of other types, or malformed
 * ones, contribute nothing: one bad entry must never stall the aggregator.
 */
export function contributionsOf(event: MetricEvent): Contribution[] {
  const day = dayOf(event.at);
  if (!day) return [];
  switch (event.type) {
    case 'captured':
      return captured(event, day);
    case 'stage_changed':
      return stageChanged(event, day);
    case 'email_sent':
      // Reminders to the team are not marketing email: engagement rates are about prospects.
      return event.data.recipient === 'team' ? [] : emailOutcome(day, 'sent', campaignOf(event));
    default: {
      const outcome = emailOutcomeByType[event.type];
      return outcome ? emailOutcome(day, outcome, campaignOf(event)) : [];
    }
  }
}

function captured(event: MetricEvent, day: string): Contribution[] {
  const data = capturedSchema.safeParse(event.data);
  if (!data.success) return [];
  const delta = () => withCounters({ [counter.leads]: 1 });
  return inDimensions(day, delta, { source: data.data.source, utmCampaign: data.data.touch?.campaign });
}

function stageChanged(event: MetricEvent, day: string): Contribution[] {
  const parsed = stageChangedSchema.safeParse(event.data);
  if (!parsed.success) return [];
  const { from, to, secondsInPrevious, dealValue, currency = UNKNOWN_CURRENCY, owner, source, leadCreatedAt } = parsed.data;
  const delta = () => {
    const aggregate = withCounters({ [counter.moves(from, to)]: 1, [counter.secondsIn(from)]: secondsInPrevious });
    if (to === 'won') {
      if (dealValue !== undefined) {
        aggregate.counters[counter.deals(currency)] = 1;
        aggregate.counters[counter.dealValue(currency)] = dealValue;
      }
      if (leadCreatedAt) aggregate.cycleSeconds.push(Math.max(0, Math.round((Date.parse(event.at) - Date.parse(leadCreatedAt)) / 1000)));
    }
    return aggregate;
  };
  return inDimensions(day, delta, { source, owner: owner?.toLowerCase() });
}

function emailOutcome(day: string, outcome: EmailOutcome, campaignId: string | undefined): Contribution[] {
  return inDimensions(day, () => withCounters({ [counter.email(outcome)]: 1 }), { campaign: campaignId });
}

/** The marketing campaign an email event is about (`data.campaignId` on sends, SES events and unsubscribes). */
function campaignOf(event: MetricEvent): string | undefined {
  return typeof event.data.campaignId === 'string' ? event.data.campaignId : undefined;
}

/** The same delta for the day's total and for each dimension value the event carries. */
function inDimensions(
  day: string,
  delta: () => Aggregate,
  values: Partial<Record<Exclude<Dimension, 'total'>, string | undefined>>,
): Contribution[] {
  const contributions: Contribution[] = [{ key: { day, dimension: 'total', value: TOTAL_VALUE }, delta: delta() }];
  for (const [dimension, raw] of Object.entries(values) as Array<[Dimension, string | undefined]>) {
    const value = raw?.trim().slice(0, MAX_VALUE_LENGTH);
    if (value) contributions.push({ key: { day, dimension, value }, delta: delta() });
  }
  return contributions;
}

function withCounters(counters: Record<string, number>): Aggregate {
  return { ...emptyAggregate(), counters };
}

/** The UTC day of an ISO timestamp, or undefined if it is not one. */
function dayOf(at: string): string | undefined {
  const time = Date.parse(at);
  return Number.isNaN(time) ? undefined : dayOfTime(new Date(time));
}
