import * as z from 'zod';
import type { CampaignCounter } from './campaign-stats';
import type { EngagementEvent } from './scoring/events';

/**
 * SES email sending events as a configuration set's EventBridge destination delivers them: an
 * EventBridge envelope (`source: aws.ses`, a `detail-type` per event type) around SES's event
 * record (`detail`: `eventType`, the `mail` object, and one object named after the event type).
 * The message tags set at send time come back in `mail.tags`, each as an array of strings: the
 * platform tags every email with its `lead` and `template`, a campaign's with `campaign` and `step`,
 * and mail to the team (reminders, escalations) with `recipient=team`.
 */

/** The event types the configuration set publishes, as SES names them in `detail.eventType`. */
export const sesEventTypes = ['Send', 'Delivery', 'Bounce', 'Complaint', 'Reject', 'Open', 'Click'] as const;
export type SesEventType = (typeof sesEventTypes)[number];

/** The EventBridge `detail-type` of each (an event rule matches on these). */
export const sesDetailTypes: Record<SesEventType, string> = {
  Send: 'Email Sent',
  Delivery: 'Email Delivered',
  Bounce: 'Email Bounced',
  Complaint: 'Email Complaint Received',
  Reject: 'Email Rejected',
  Open: 'Email Opened',
  Click: 'Email Clicked',
};

export const bounceTypes = ['Permanent', 'Transient', 'Undetermined'] as const;
export type BounceType = (typeof bounceTypes)[number];

const recipientsSchema = z.array(z.object({ emailAddress: z.string() })).default([]);

/** What the platform reads of an event; SES sends more (headers, MTAs, user agents) that it ignores. */
export const sesEventSchema = z.object({
  source: z.literal('aws.ses'),
  'detail-type': z.string(),
  time: z.string().optional(),
  detail: z.object({
    eventType: z.enum(sesEventTypes),
    mail: z.object({
      timestamp: z.string(),
      messageId: z.string().min(1),
      destination: z.array(z.string()).default([]),
      tags: z.record(z.string(), z.array(z.string())).default({}),
    }),
    delivery: z.object({ timestamp: z.string().optional() }).optional(),
    bounce: z
      .object({
        bounceType: z.enum(bounceTypes),
        bounceSubType: z.string().optional(),
        bouncedRecipients: recipientsSchema,
        timestamp: z.string().optional(),
      })
      .optional(),
    complaint: z.object({ complainedRecipients: recipientsSchema, timestamp: z.string().optional() }).optional(),
    reject: z.object({ reason: z.string().optional() }).optional(),
    open: z.object({ timestamp: z.string().optional() }).optional(),
    click: z.object({ timestamp: z.string().optional(), link: z.string().optional() }).optional(),
  }),
});
export type SesEvent = z.infer<typeof sesEventSchema>;

/** What happened to an email, in the platform's words. */
export type EmailEventKind = 'sent' | 'delivered' | 'bounced' | 'complained' | 'rejected' | 'opened' | 'clicked';

const kindOf: Record<SesEventType, EmailEventKind> = {
  Send: 'sent',
  Delivery: 'delivered',
  Bounce: 'bounced',
  Complaint: 'complained',
  Reject: 'rejected',
  Open: 'opened',
  Click: 'clicked',
};

/** One SES event, read: which message, what happened and when, and what the message was tagged with. */
export interface EmailEvent {
  kind: EmailEventKind;
  messageId: string;
  /** When it happened: the event's own timestamp, else when EventBridge got it, else the send. */
  at: string;
  /** When SES accepted the message. */
  sentAt: string;
  /** The addresses it is about: the bounced or complaining recipients, else the message's destination. */
  recipients: string[];
  leadId?: string;
  campaignId?: string;
  step?: number;
  /** Mail to the sales team about a lead (a reminder), not to the prospect. */
  toTeam: boolean;
  bounceType?: BounceType;
}

export class InvalidSesEventError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidSesEventError';
  }
}

/** Reads an SES event from EventBridge; throws InvalidSesEventError on anything else. */
export function parseSesEvent(raw: unknown): EmailEvent {
  const parsed = sesEventSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(event)').join(', ');
    throw new InvalidSesEventError(`not an SES email event: ${fields}`);
  }
  const { detail, time } = parsed.data;
  const { mail } = detail;
  const tag = (name: string) => mail.tags[name]?.[0];
  const stepTag = tag('step');
  const step = stepTag !== undefined && /^\d+$/.test(stepTag) ? Number(stepTag) : undefined;
  const own =
    detail.delivery?.timestamp ??
    detail.bounce?.timestamp ??
    detail.complaint?.timestamp ??
    detail.open?.timestamp ??
    detail.click?.timestamp;
  const affected = [...(detail.bounce?.bouncedRecipients ?? []), ...(detail.complaint?.complainedRecipients ?? [])].map(
    (recipient) => recipient.emailAddress,
  );
  return {
    kind: kindOf[detail.eventType],
    messageId: mail.messageId,
    at: validTime(own) ?? validTime(time) ?? mail.timestamp,
    sentAt: mail.timestamp,
    recipients: affected.length > 0 ? affected : mail.destination,
    ...(tag('lead') && { leadId: tag('lead') }),
    ...(tag('campaign') && { campaignId: tag('campaign') }),
    ...(step !== undefined && { step }),
    toTeam: tag('recipient') === 'team',
    ...(detail.bounce && { bounceType: detail.bounce.bounceType }),
  };
}

function validTime(value: string | undefined): string | undefined {
  return value !== undefined && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined;
}

/** A bounce SES will not retry: the address does not exist or refuses mail for good. */
export function isHardBounce(event: EmailEvent): boolean {
  return event.kind === 'bounced' && event.bounceType === 'Permanent';
}

/** Why the event puts its recipients on the suppression list, if it does: hard bounces and complaints. */
export function suppressionReasonOf(event: EmailEvent): 'hard_bounce' | 'complaint' | undefined {
  if (isHardBounce(event)) return 'hard_bounce';
  return event.kind === 'complained' ? 'complaint' : undefined;
}

/** The lead history entry type an event writes (`sent` writes none: the sender wrote `email_sent`). */
export function historyTypeOf(kind: EmailEventKind): string | undefined {
  return kind === 'sent' ? undefined : `email_${kind}`;
}

/** The campaign counter an event adds to (a send is counted when the sender settles it). */
export function campaignCounterOf(kind: EmailEventKind): CampaignCounter | undefined {
  const counters: Partial<Record<EmailEventKind, CampaignCounter>> = {
    delivered: 'delivered',
    opened: 'opened',
    clicked: 'clicked',
    bounced: 'bounced',
    complained: 'complained',
  };
  return counters[kind];
}

/**
 * Opens and clicks are engagement: the scoring rules' `email_open` and `email_click` weigh them.
 * Dated when they happened, but never in the future (a clock ahead must not make points that never decay).
 */
export function engagementOf(event: EmailEvent, now: Date): EngagementEvent | undefined {
  const type = event.kind === 'opened' ? 'email_open' : event.kind === 'clicked' ? 'email_click' : undefined;
  if (!type) return undefined;
  const at = Date.parse(event.at) > now.getTime() ? now.toISOString() : event.at;
  return {
    type,
    at,
    properties: { messageId: event.messageId, ...(event.campaignId && { campaignId: event.campaignId }) },
  };
}

/** The data of the event's history entry: the message and, for campaign mail, its campaign and step. */
export function historyDataOf(event: EmailEvent): Record<string, unknown> {
  return {
    messageId: event.messageId,
    ...(event.campaignId && { campaignId: event.campaignId }),
    ...(event.step !== undefined && { step: event.step }),
    ...(event.bounceType && { bounceType: event.bounceType }),
  };
}
