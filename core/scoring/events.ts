import * as z from 'zod';

/** Engagement the platform records against a lead; scoring rules weigh them by type. */
export const engagementEventTypes = [
  'email_open',
  'email_click',
  'page_visit',
  'reply',
  'meeting',
  'form_submit',
  'content_download',
  'webinar_attended',
] as const;

export const engagementEventTypeSchema = z.enum(engagementEventTypes);
export type EngagementEventType = z.infer<typeof engagementEventTypeSchema>;

const MAX_EVENT_PROPERTIES = 20;

/** Scalar values only: they are stored as-is and matched by rules as text. */
export const eventPropertiesSchema = z
  .record(z.string().min(1).max(64), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))
  .refine((properties) => Object.keys(properties).length <= MAX_EVENT_PROPERTIES, {
    error: `must have at most ${MAX_EVENT_PROPERTIES} properties`,
  });

export const engagementEventSchema = z.object({
  type: engagementEventTypeSchema,
  at: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time' }),
  properties: eventPropertiesSchema.optional(),
});
export type EngagementEvent = z.infer<typeof engagementEventSchema>;

/** Clocks differ a little; an event further ahead than this has not happened yet. */
export const MAX_EVENT_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * An event dated in the future would never decay (a click "in 9999" counts in full forever), so
 * one more than a few minutes ahead of `now` is refused.
 */
export function futureEventProblem(event: Pick<EngagementEvent, 'at'>, now: Date): string | undefined {
  return Date.parse(event.at) - now.getTime() > MAX_EVENT_CLOCK_SKEW_MS ? 'must not be in the future' : undefined;
}
