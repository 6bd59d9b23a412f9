/**
 * SES event publishing, which SES local lacks, taught from the template: for every email sent
 * through a configuration set with an EventBridge event destination (its
 * `AWS::SES::ConfigurationSetEventDestination`), the local cloud puts the events SES would publish
 * on the local default bus, in AWS's documented format (`source: aws.ses`, a `detail-type` per
 * event, `detail` with `eventType`, the `mail` object with the message tags, and the event's own
 * object). A send publishes `Email Sent`, then `Email Delivered`; a person or a test marks a message
 * opened, clicked, bounced or complained through the control plane (`/mailbox`,
 * `POST /ses/messages/{messageId}/events`), which publishes that event.
 */
import { randomUUID } from 'node:crypto';
import type { SesEventDestinationSpec } from './assembly';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './local-aws';

/** SES's event types as the template names them, with their EventBridge detail-type and `eventType`. */
const eventTypes = {
  send: { detailType: 'Email Sent', eventType: 'Send' },
  delivery: { detailType: 'Email Delivered', eventType: 'Delivery' },
  bounce: { detailType: 'Email Bounced', eventType: 'Bounce' },
  complaint: { detailType: 'Email Complaint Received', eventType: 'Complaint' },
  open: { detailType: 'Email Opened', eventType: 'Open' },
  click: { detailType: 'Email Clicked', eventType: 'Click' },
} as const;
type EventType = keyof typeof eventTypes;

/** What a person may mark a message as. */
export const markableEvents = ['open', 'click', 'bounce', 'complaint'] as const;
export type MarkableEvent = (typeof markableEvents)[number];
export const bounceTypes = ['Permanent', 'Transient', 'Undetermined'] as const;

export interface MarkRequest {
  type: MarkableEvent;
  bounceType?: (typeof bounceTypes)[number];
  link?: string;
}

/** A message sent through SES local, as SES remembers it for its events. */
export interface SentMessage {
  messageId: string;
  timestamp: string;
  from: string;
  destination: string[];
  configurationSet: string | undefined;
  /** The message tags (EmailTags), as SES publishes them: each value in an array. */
  tags: Record<string, string[]>;
  /** The events published for it so far, by type. */
  published: string[];
}

/** The parts of an SES v2 SendEmail request body that events report. */
interface SendEmailBody {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ConfigurationSetName?: string;
  EmailTags?: Array<{ Name: string; Value: string }>;
}

export class UnknownMessageError extends Error {
  constructor(messageId: string) {
    super(`no message ${messageId} was sent through SES local`);
    this.name = 'UnknownMessageError';
  }
}

export interface SesEventsOptions {
  destinations: SesEventDestinationSpec[];
  /** Puts an event on the default bus; resolves when its rule targets have run. */
  publish: (event: unknown) => Promise<unknown>;
  log: (line: string) => void;
  /** Business time (local/clock.ts): what the events are dated; default the real clock. */
  now?: () => number;
}

/** How many sent messages are remembered for their events (the oldest are forgotten first). */
const REMEMBERED_MESSAGES = 10_000;

export class LocalSesEvents {
  private readonly sent = new Map<string, SentMessage>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: SesEventsOptions) {}

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  /** The messages sent so far, newest first. */
  messages(): SentMessage[] {
    return [...this.sent.values()].reverse();
  }

  message(messageId: string): SentMessage | undefined {
    return this.sent.get(messageId);
  }

  /**
   * SES accepted a SendEmail request (`body`, as JSON) as `messageId`: remember it and publish its
   * send and delivery events, in that order, without holding up the sender (as on AWS).
   */
  recordSend(body: string, messageId: string): void {
    let request: SendEmailBody;
    try {
      request = JSON.parse(body) as SendEmailBody;
    } catch {
      return;
    }
    const destination = [
      ...(request.Destination?.ToAddresses ?? []),
      ...(request.Destination?.CcAddresses ?? []),
      ...(request.Destination?.BccAddresses ?? []),
    ];
    const from = request.FromEmailAddress ?? '';
    const configurationSet = request.ConfigurationSetName;
    const message: SentMessage = {
      messageId,
      timestamp: new Date(this.now()).toISOString(),
      from,
      destination,
      configurationSet,
      tags: {
        ...(configurationSet && { 'ses:configuration-set': [configurationSet] }),
        'ses:source-ip': ['127.0.0.1'],
        'ses:from-domain': [from.split('@')[1] ?? ''],
        'ses:caller-identity': ['local'],
        ...Object.fromEntries((request.EmailTags ?? []).map((tag) => [tag.Name, [tag.Value]])),
      },
      published: [],
    };
    this.sent.set(messageId, message);
    const oldest = this.sent.keys().next().value;
    if (this.sent.size > REMEMBERED_MESSAGES && oldest !== undefined) this.sent.delete(oldest);
    const publishing = this.publish(message, 'send').then(() => this.publish(message, 'delivery'));
    this.pending.add(publishing);
    void publishing
      .catch((error: unknown) => {
        this.options.log(`SES events of ${messageId}: ${String(error)}`);
      })
      .finally(() => this.pending.delete(publishing));
  }

  /** Publishes what a person marked the message as; resolves once the rule targets ran. */
  async mark(messageId: string, request: MarkRequest): Promise<{ detailType: string; published: boolean }> {
    const message = this.sent.get(messageId);
    if (!message) throw new UnknownMessageError(messageId);
    const published = await this.publish(message, request.type, request);
    return { detailType: eventTypes[request.type].detailType, published };
  }

  /** Waits for the send and delivery events under way. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending].map((pending) => pending.catch(() => undefined)));
  }

  /** Publishes one event of the message, if its configuration set publishes that type to EventBridge. */
  private async publish(message: SentMessage, type: EventType, request?: MarkRequest): Promise<boolean> {
    const enabled = this.options.destinations.some(
      (destination) => destination.configurationSetName === message.configurationSet && destination.matchingEventTypes.includes(type),
    );
    if (!enabled) return false;
    message.published.push(type);
    await this.options.publish(sesEvent(message, type, new Date(this.now()), request));
    return true;
  }
}

/** One event in AWS's documented format, as the EventBridge destination delivers it. */
export function sesEvent(message: SentMessage, type: EventType, now: Date, request?: MarkRequest): Record<string, unknown> {
  const { detailType, eventType } = eventTypes[type];
  const at = now.toISOString();
  const feedbackId = `${randomUUID()}-000000`;
  const recipients = message.destination.map((emailAddress) => ({ emailAddress }));
  const details: Record<EventType, Record<string, unknown>> = {
    send: {},
    delivery: {
      timestamp: at,
      processingTimeMillis: Math.max(0, now.getTime() - Date.parse(message.timestamp)),
      recipients: message.destination,
      smtpResponse: '250 2.6.0 Message received',
      reportingMTA: 'localhost',
    },
    bounce: {
      bounceType: request?.bounceType ?? 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: recipients.map((recipient) => ({
        ...recipient,
        action: 'failed',
        status: '5.1.1',
        diagnosticCode: 'smtp; 550 5.1.1 user unknown',
      })),
      timestamp: at,
      feedbackId,
      reportingMTA: 'dsn; localhost',
    },
    complaint: {
      complainedRecipients: recipients,
      timestamp: at,
      feedbackId,
      userAgent: 'leadflow local mailbox',
      complaintFeedbackType: 'abuse',
      arrivalDate: at,
    },
    open: { ipAddress: '127.0.0.1', timestamp: at, userAgent: 'leadflow local mailbox' },
    click: {
      ipAddress: '127.0.0.1',
      timestamp: at,
      userAgent: 'leadflow local mailbox',
      link: request?.link ?? 'https://example.com/',
      linkTags: {},
    },
  };
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.ses',
    account: LOCAL_ACCOUNT,
    // EventBridge's `time` has whole seconds.
    time: `${at.slice(0, 19)}Z`,
    region: LOCAL_REGION,
    resources: message.configurationSet
      ? [`arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:configuration-set/${message.configurationSet}`]
      : [],
    detail: {
      eventType,
      mail: {
        timestamp: message.timestamp,
        source: message.from,
        sourceArn: `arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:identity/${message.from}`,
        sendingAccountId: LOCAL_ACCOUNT,
        messageId: message.messageId,
        destination: message.destination,
        headersTruncated: false,
        headers: [
          { name: 'From', value: message.from },
          { name: 'To', value: message.destination.join(', ') },
        ],
        commonHeaders: { from: [message.from], to: message.destination, messageId: message.messageId },
        tags: message.tags,
      },
      [type]: details[type],
    },
  };
}
