import type { EngagementEventType } from '../scoring';

/** The form tools a form can receive from; `generic` is leadflow's own format. */
export const providerIds = ['generic', 'typeform', 'tally', 'webflow', 'hubspot', 'unbounce', 'jotform', 'netlify', 'calendly'] as const;
export type ProviderId = (typeof providerIds)[number];

/** A file part of a multipart body: never stored, only named in the lead's history. */
export interface ReceivedFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: number;
}

/** A delivery as the HTTP layer read it: no HTTP objects, only what a provider's format needs. */
export interface Delivery {
  /** `application/json`, `application/x-www-form-urlencoded` or `multipart/form-data`. */
  mediaType: string;
  /** The body exactly as sent: what signatures cover. */
  rawBody: string;
  /** A JSON body, parsed (any JSON value). */
  json?: unknown;
  /** A urlencoded or multipart body's text fields in the order sent; a name sent twice appears twice. */
  fields: Array<[string, string]>;
  files: ReceivedFile[];
  /** Request header names lowercased. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The URL's query parameters (a provider that cannot sign carries the form's token there). */
  query: Readonly<Record<string, string | undefined>>;
  /** `POST`, and the full URL the provider called (HubSpot's v3 signature covers both). */
  method: string;
  url: string;
}

/**
 * Maps a provider's own field identifiers to lead fields, per form: keys are what the provider
 * names a question by (a Typeform field ref or id, a Tally key or label, a Jotform `qN_` name...),
 * values are a lead field (`email`, `firstName`, `lastName`, `company`, `jobTitle`, `phone`,
 * `message`, `country`, `industry`, `companySize`, `budget`, `timeline`, `role`, `utm_source`...)
 * or any other name, kept as a custom field.
 */
export type FieldMap = Readonly<Record<string, string>>;

export interface ProviderEngagement {
  type: EngagementEventType;
  /** ISO-8601; default the delivery's time. */
  at?: string;
  properties?: Record<string, string | number | boolean | null>;
}

/** What a provider's body says about the lead, before the platform's field rules apply. */
export interface ProviderSubmission {
  /**
   * Named values in the order the body gives them: a lead field name where the provider's format
   * or the form's field map says what a value is, else the provider's own name for it (kept as a
   * custom field). A name may appear twice: the submission rules settle it, never refusing.
   */
  fields: Array<[string, string]>;
  /** The provider's id for this event: a redelivery carries the same one and is counted once. */
  eventId?: string;
  /** Engagement that comes with the submission (a booked meeting). */
  engagement?: ProviderEngagement[];
  /** What was received but not kept (file parts, unanswered required-by-us fields...), for the history. */
  notes?: string[];
}

export interface ProviderAdapter {
  readonly id: ProviderId;
  /** The media types this provider posts. */
  readonly mediaTypes: readonly string[];
  /** The lead in a delivery; throws ValidationError (400, naming what was looked at) when it is not this provider's format. */
  read(delivery: Delivery, fieldMap: FieldMap): ProviderSubmission;
  /**
   * Checks the provider's signature over the raw body with the form's secret; throws
   * InvalidSignatureError (401) when it is missing, wrong or stale.
   */
  verify(delivery: Delivery, secret: string, now: Date): void;
}
