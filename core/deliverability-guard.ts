import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { EmailEvent } from './ses-events';

/**
 * The deliverability guard: SES places an account under review when its bounce rate reaches 5% or
 * its complaint rate 0.1%, and may pause the account's sending at 10% or 0.5%. A pause stops
 * every email the platform sends (a rep's reminders, a customer's thank-you), so marketing mail
 * must stop well before: when the rates over the last `windowSends` sends reach the review levels,
 * the guard pauses the active campaigns and tells ops.
 *
 * Counts are kept per hour of the messages' send time, so a bounce counts against the hour its
 * email was sent in, and the window reads whole hours back from now until it holds `windowSends`
 * sends (it may hold a few more: the hours are its grain). Below `minimumSends` it judges nothing:
 * three bounces in the first twenty emails say little.
 */
export const guardSettingsSchema = z.object({
  windowSends: z.number().int().positive().default(1000),
  minimumSends: z.number().int().positive().default(100),
  maxBounceRate: z.number().positive().max(1).default(0.05),
  maxComplaintRate: z.number().positive().max(1).default(0.001),
});
export type GuardSettings = z.infer<typeof guardSettingsSchema>;
export const defaultGuardSettings: GuardSettings = guardSettingsSchema.parse({});

/** What the guard counts: sends, hard bounces (what SES's bounce rate counts) and complaints. */
export const guardCounters = ['sent', 'bounced', 'complained'] as const;
export type GuardCounter = (typeof guardCounters)[number];

/**
 * Each hour's counts are spread over this many items, so that a launch sending hundreds of emails a
 * second does not make one item hot (each event's transaction updates one shard); a read sums them.
 */
export const GUARD_SHARDS = 8;

/** How far back the window may reach: a trickle of sends is judged on the last week at most. */
export const GUARD_LOOKBACK_HOURS = 7 * 24;

/** The hour a message's counts go to (`2026-03-10T09`, UTC). */
export function guardHour(at: string | Date): string {
  return new Date(at).toISOString().slice(0, 13);
}

/** The shard of a message's counts: stable, so every event of one message lands in one shard. */
export function guardShard(messageId: string): number {
  return createHash('sha256').update(messageId).digest().readUInt8(0) % GUARD_SHARDS;
}

/** The hours the window may read, newest first: the current hour and GUARD_LOOKBACK_HOURS - 1 before it. */
export function guardHoursBack(now: Date, hours = GUARD_LOOKBACK_HOURS): string[] {
  const current = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  return Array.from({ length: hours }, (_, index) => guardHour(new Date(current - index * 3_600_000)));
}

export interface GuardCounts {
  sent: number;
  bounced: number;
  complained: number;
}

/** Sums one hour's shards (items with optional counter attributes). */
export function sumGuardShards(shards: ReadonlyArray<Record<string, unknown>>): GuardCounts {
  const total: GuardCounts = { sent: 0, bounced: 0, complained: 0 };
  for (const shard of shards) {
    for (const counter of guardCounters) total[counter] += Number(shard[counter] ?? 0);
  }
  return total;
}

/** The window: whole hours, newest first, until they hold `windowSends` sends (or the hours run out). */
export function guardWindow(hoursNewestFirst: readonly GuardCounts[], settings: GuardSettings): GuardCounts {
  const window: GuardCounts = { sent: 0, bounced: 0, complained: 0 };
  for (const hour of hoursNewestFirst) {
    if (window.sent >= settings.windowSends) break;
    window.sent += hour.sent;
    window.bounced += hour.bounced;
    window.complained += hour.complained;
  }
  return window;
}

export type GuardVerdict =
  { pause: false; why: 'too_few_sends' | 'within_limits'; window: GuardCounts } | { pause: true; reason: string; window: GuardCounts };

/** Whether the window's rates reach a limit, saying which and by how much. */
export function judgeDeliverability(window: GuardCounts, settings: GuardSettings): GuardVerdict {
  if (window.sent < settings.minimumSends) return { pause: false, why: 'too_few_sends', window };
  const bounceRate = window.bounced / window.sent;
  const complaintRate = window.complained / window.sent;
  const over = [
    ...(bounceRate >= settings.maxBounceRate ? [`bounce rate ${percent(bounceRate)} (limit ${percent(settings.maxBounceRate)})`] : []),
    ...(complaintRate >= settings.maxComplaintRate
      ? [`complaint rate ${percent(complaintRate)} (limit ${percent(settings.maxComplaintRate)})`]
      : []),
  ];
  if (over.length === 0) return { pause: false, why: 'within_limits', window };
  return { pause: true, reason: `deliverability guard: ${over.join(' and ')} over the last ${window.sent} sends`, window };
}

function percent(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

/**
 * What an SES event adds to the guard's counts: every send, hard bounces only (SES's bounce rate
 * counts hard bounces), every complaint.
 */
export function guardCounterOf(event: Pick<EmailEvent, 'kind' | 'bounceType'>): GuardCounter | undefined {
  if (event.kind === 'sent') return 'sent';
  if (event.kind === 'bounced') return event.bounceType === 'Permanent' ? 'bounced' : undefined;
  return event.kind === 'complained' ? 'complained' : undefined;
}
