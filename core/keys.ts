/**
 * The single-table key layout, declared once from the access patterns. Every item has `pk`/`sk`;
 * the sparse GSIs are filled only on the items that need them.
 *
 * | item            | pk                          | sk                          | gsi1 (byStage)                       | gsi2 (byDay)                         |
 * |-----------------|-----------------------------|-----------------------------|--------------------------------------|--------------------------------------|
 * | lead            | LEAD#<leadId>               | LEAD                        | STAGE#<stage>#<shard> / <createdAt>#<leadId> |                              |
 *
 * A lead with an owner is also on gsi3 (byOwner): `OWNER#<owner email>` / `<grade>#<createdAt>#<leadId>`
 * (a rep's leads, by grade); `-` stands for a lead not scored yet.
 *
 * | history entry   | LEAD#<leadId>               | HISTORY#<at>#<entryId>      |                                      | DAY#<ingest day>#<shard> / <ingestedAt>#<id> |
 * | form            | FORM#<formId>               | FORM                        |                                      |                                      |
 * | form counters   | FORM#<formId>               | STATS                       |                                      |                                      |
 * | API key secret  | APIKEY#<sha256 of key>      | APIKEY                      |                                      |                                      |
 * | API key by id   | APIKEYS                     | KEY#<keyId>                 |                                      |                                      |
 * | idempotency     | IDEMPOTENCY#<scope>#<key>   | IDEMPOTENCY                 |                                      |                                      |
 * | submission      | SUBMISSION#<submissionId>   | SUBMISSION                  |                                      |                                      |
 * | email claim     | LEAD#<leadId>               | EMAIL#<hash of once-key>    |                                      |                                      |
 * | workflow wait   | LEAD#<leadId>               | WORKFLOW                    |                                      |                                      |
 * | idempotency ref | LEAD#<leadId>               | IDEMPOTENCY#<scope>#<key>   |                                      |                                      |
 * | suppression     | SUPPRESSED#<HMAC of email>  | SUPPRESSED                  |                                      |                                      |
 * | audit record    | AUDIT#<day>                 | <at>#<auditId>              |                                      |                                      |
 * | owner counter   | COUNTER#owners              | COUNTER                     |                                      |                                      |
 * | health probe    | HEALTH                      | HEALTH (read only, absent)  |                                      |                                      |
 * | form rate count | RATE#<formId>#<window>      | FORM                        |                                      |                                      |
 * | client rate count | RATE#<formId>#<window>#<client hash> | CLIENT           |                                      |                                      |
 * | scoring rules   | RULES                       | VERSION#<version> / ACTIVE  |                                      |                                      |
 * | rescore job     | JOB#<jobId>                 | JOB                         |                                      |                                      |
 * | lifecycle config| CONFIG#lifecycle            | CURRENT                     |                                      |                                      |
 * | config change   | CONFIG#lifecycle            | CHANGE#<version, 10 digits> |                                      |                                      |
 * | campaign        | CAMPAIGNS                   | CAMPAIGN#<campaignId>       |                                      |                                      |
 * | campaign stats  | CAMPAIGN#<campaignId>#<shard> | STATS                     |                                      |                                      |
 * | enrollment      | CAMPAIGN#<campaignId>#<shard> | ENROLLMENT#<leadId>       |                                      |                                      |
 * | send-rate window | SENDRATE#<epoch second>    | SENDRATE                    |                                      |                                      |
 * | email template  | TEMPLATES                   | TEMPLATE#<templateId>       |                                      |                                      |
 * | SES event applied | LEAD#<leadId>             | EMAILEVENT#<messageId>#<kind> |                                    |                                      |
 * | deliverability counts | DELIVERABILITY#<hour> | SHARD#<shard>               |                                      |                                      |
 * | aggregation job | JOB#<jobId>                 | JOB                         |                                      |                                      |
 * | aggregation lock | JOB#metrics-aggregation    | LOCK                        |                                      |                                      |
 *
 * **No hot partitions.** DynamoDB serves at most 1,000 write units a second per partition, of the
 * table and of each index alike, and a throttled index throttles the table's writes. So every key
 * that a burst concentrates is write-sharded by a stable hash of the lead id (`shardOf`): a stage
 * of the byStage index is `STAGE_SHARDS` partitions (every capture lands in `new`, every launch
 * or rescore rewrites whole stages), a campaign's enrollments and counters are
 * `CAMPAIGN_SHARDS` partitions (a launch enrolls its whole segment at once), an ingest day of the
 * byDay index is `EVENT_SHARDS`. Readers scatter-gather over the shards, paged. What stays
 * unsharded is bounded by something other than traffic: a rep's byOwner partition by the team's
 * share of the qualified leads, the send-rate and deliverability items by the SES account's send
 * rate, definitions and settings by people editing them.
 *
 * History entries double as the event stream: gsi2 projects them into day partitions of when they
 * were written (not of their `at`, so an entry written late still lands past the metrics
 * aggregator's watermark), sharded so that one busy day stays under a partition's 1,000 writes/s.
 * An API key is two items written together in one transaction: under its hash (what the gateway's
 * authorizer reads with one consistent GetItem per request) and under its public id, in one
 * partition for every key (a list is one Query; a platform has tens of keys, not thousands). The id
 * item holds the hash, so revocation and rotation can reach the other item; neither answer shows it.
 * Metrics aggregates extend this layout in core/metrics/keys.ts. Idempotency records expire through
 * the table's TTL attribute `expiresAt` (epoch seconds).
 *
 * Settings edited through the admin API (today the lifecycle configuration) live in a `CONFIG#<setting>`
 * partition: the setting's current item, whose `version` numbers its edits, and one change item per
 * edit (who, when, the document), written with it in one transaction.
 *
 * Everything about one person lives in their lead's partition, so an export or an erasure is one
 * Query: the idempotency records a lead write created are keyed by the client's key, so each gets
 * a reference item there (same TTL). The suppression list and the audit log hold no personal data:
 * an erased address is kept only as a keyed hash, and audit records name the lead id, never its fields.
 */
import { createHash } from 'node:crypto';

export const tableKeys = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  byStage: { indexName: 'byStage', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  byDay: { indexName: 'byDay', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  byOwner: { indexName: 'byOwner', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
} as const;

/**
 * Day partitions of the byDay index are split into this many shards: 8,000 history entries a
 * second per ingest day (a lead writes about ten in its life, a few in its first minute).
 */
export const EVENT_SHARDS = 8;

/**
 * Each stage of the byStage index is split into this many partitions: 16,000 index writes a
 * second per stage, 16 times the default capture throttle's 500 requests a second at about two
 * index writes per new lead (stored, then scored and routed out of `new`).
 */
export const STAGE_SHARDS = 16;

/**
 * A campaign's enrollments and counters are split into this many partitions: 16,000 write units
 * a second, where one enrollment costs five (its write, then a two-item transaction with the
 * counter), so a launch may enroll about 3,000 leads a second before a shard throttles.
 */
export const CAMPAIGN_SHARDS = 16;

export interface ItemKey {
  pk: string;
  sk: string;
}

export const keys = {
  lead: (leadId: string): ItemKey => ({ pk: `LEAD#${leadId}`, sk: 'LEAD' }),
  leadByStage: (stage: string, createdAt: string, leadId: string) => ({
    gsi1pk: keys.stageShard(stage, shardOf(leadId, STAGE_SHARDS)),
    gsi1sk: `${createdAt}#${leadId}`,
  }),
  /** One of a stage's `STAGE_SHARDS` partitions on the byStage index (what a reader queries). */
  stageShard: (stage: string, shard: number): string => `STAGE#${stage}#${shard}`,
  /** Only leads with an owner are on byOwner (a sparse index). */
  leadByOwner: (ownerEmail: string, grade: string | undefined, createdAt: string, leadId: string) => ({
    gsi3pk: `OWNER#${ownerEmail.toLowerCase()}`,
    gsi3sk: `${grade ?? '-'}#${createdAt}#${leadId}`,
  }),
  historyPrefix: 'HISTORY#',
  history: (leadId: string, at: string, entryId: string): ItemKey => ({
    pk: `LEAD#${leadId}`,
    sk: `HISTORY#${at}#${entryId}`,
  }),
  /** `writtenAt`: when the entry is stored (its ingest time), not when it happened. */
  eventDay: (leadId: string, writtenAt: string, entryId: string) => ({
    gsi2pk: `DAY#${writtenAt.slice(0, 10)}#${shardOf(leadId, EVENT_SHARDS)}`,
    gsi2sk: `${writtenAt}#${entryId}`,
  }),
  form: (formId: string): ItemKey => ({ pk: `FORM#${formId}`, sk: 'FORM' }),
  formStats: (formId: string): ItemKey => ({ pk: `FORM#${formId}`, sk: 'STATS' }),
  apiKey: (keyHash: string): ItemKey => ({ pk: `APIKEY#${keyHash}`, sk: 'APIKEY' }),
  apiKeyById: (keyId: string): ItemKey => ({ pk: 'APIKEYS', sk: `KEY#${keyId}` }),
  apiKeysPartition: 'APIKEYS',
  /** One email about a lead: claimed, then sent or suppressed (core/email-claim.ts), so a retried step sends it once. */
  emailClaim: (leadId: string, onceHash: string): ItemKey => ({ pk: `LEAD#${leadId}`, sk: `EMAIL#${onceHash}` }),
  /** The task token of the workflow step waiting for a rep's move on this lead. */
  workflow: (leadId: string): ItemKey => ({ pk: `LEAD#${leadId}`, sk: 'WORKFLOW' }),
  rulesVersion: (version: string): ItemKey => ({ pk: 'RULES', sk: `VERSION#${version}` }),
  activeRules: (): ItemKey => ({ pk: 'RULES', sk: 'ACTIVE' }),
  job: (jobId: string): ItemKey => ({ pk: `JOB#${jobId}`, sk: 'JOB' }),
  /** The on-demand aggregation job that is queued or running (one at a time), and until when it may hold that. */
  aggregationLock: (): ItemKey => ({ pk: 'JOB#metrics-aggregation', sk: 'LOCK' }),
  ownerCounter: (): ItemKey => ({ pk: 'COUNTER#owners', sk: 'COUNTER' }),
  /** Read (never written) by GET /health: a one-item probe that the table answers. */
  health: (): ItemKey => ({ pk: 'HEALTH', sk: 'HEALTH' }),
  /** A form's submissions in one rate window (one item per form and minute). */
  formRate: (formId: string, windowStart: number): ItemKey => ({ pk: `RATE#${formId}#${windowStart}`, sk: 'FORM' }),
  /** One client's submissions to a form in one rate window: a partition per client, so a busy form's clients spread out. */
  clientRate: (formId: string, windowStart: number, clientHash: string): ItemKey => ({
    pk: `RATE#${formId}#${windowStart}#${clientHash}`,
    sk: 'CLIENT',
  }),
  /** A public submission accepted and waiting for the stream consumer to fold it into its lead. */
  submission: (submissionId: string): ItemKey => ({ pk: `SUBMISSION#${submissionId}`, sk: 'SUBMISSION' }),
  idempotency: (scope: string, key: string): ItemKey => ({
    pk: `IDEMPOTENCY#${scope}#${key}`,
    sk: 'IDEMPOTENCY',
  }),
  /** Points from a lead's partition at an idempotency record its writes created, so an erasure finds it. */
  idempotencyRefPrefix: 'IDEMPOTENCY#',
  idempotencyRef: (leadId: string, scope: string, key: string): ItemKey => ({
    pk: `LEAD#${leadId}`,
    sk: `IDEMPOTENCY#${scope}#${key}`,
  }),
  /** An address that must never be mailed again, by its keyed hash (core/erasure.ts suppressionHash). */
  suppression: (addressHash: string): ItemKey => ({ pk: `SUPPRESSED#${addressHash}`, sk: 'SUPPRESSED' }),
  /** One audit record (an export, an erasure), in a partition per UTC day. */
  audit: (at: string, auditId: string): ItemKey => ({ pk: `AUDIT#${at.slice(0, 10)}`, sk: `${at}#${auditId}` }),
  /** The lifecycle configuration edited through the admin API (owners, delays, playbooks); absent until the first edit. */
  lifecycleConfig: (): ItemKey => ({ pk: 'CONFIG#lifecycle', sk: 'CURRENT' }),
  /** One edit of the lifecycle configuration (its trace), by the version it made; padded so they sort in order. */
  lifecycleConfigChange: (version: number): ItemKey => ({ pk: 'CONFIG#lifecycle', sk: `CHANGE#${String(version).padStart(10, '0')}` }),
  /**
   * Campaign definitions and their status, all in one partition: a team has tens of campaigns, a
   * list is one Query, and senders cache what they read of it.
   */
  campaignsPartition: 'CAMPAIGNS',
  campaign: (campaignId: string): ItemKey => ({ pk: 'CAMPAIGNS', sk: `CAMPAIGN#${campaignId}` }),
  /**
   * One shard of a campaign's live counters (core/campaign-stats.ts), in the partition of the
   * enrollments it counts: counts spread over the shards, a read sums them.
   */
  campaignStats: (campaignId: string, shard: number): ItemKey => ({ pk: `CAMPAIGN#${campaignId}#${shard}`, sk: 'STATS' }),
  /**
   * A lead's entry into a campaign (which entry, when, what became of each step): written once, with
   * the campaign's `targeted` counter, so a repeated launch or a redelivered trigger enrolls nobody twice.
   */
  enrollment: (campaignId: string, leadId: string): ItemKey => ({
    pk: `CAMPAIGN#${campaignId}#${shardOf(leadId, CAMPAIGN_SHARDS)}`,
    sk: `ENROLLMENT#${leadId}`,
  }),
  /** Campaign emails sent in one second (a token bucket for the SES account's send rate); expires by TTL. */
  sendRateWindow: (epochSecond: number): ItemKey => ({ pk: `SENDRATE#${epochSecond}`, sk: 'SENDRATE' }),
  /** Marketing's email templates (managed through the API, deployed to SES), all in one partition. */
  emailTemplatesPartition: 'TEMPLATES',
  emailTemplate: (templateId: string): ItemKey => ({ pk: 'TEMPLATES', sk: `TEMPLATE#${templateId}` }),
  /**
   * Marks one SES event (a message's delivery, first open, bounce...) as applied to its lead: written
   * in the transaction that applies it, on condition that it is absent, so a redelivered event has no
   * second effect. Holds only the message id; expires once SES and EventBridge can no longer redeliver.
   */
  emailEvent: (leadId: string, messageId: string, kind: string): ItemKey => ({
    pk: `LEAD#${leadId}`,
    sk: `EMAILEVENT#${messageId}#${kind}`,
  }),
  /** One shard of one hour's deliverability counts (core/deliverability-guard.ts): sends, hard bounces, complaints. */
  deliverabilityShardPrefix: 'SHARD#',
  deliverabilityCounts: (hour: string, shard: number): ItemKey => ({ pk: `DELIVERABILITY#${hour}`, sk: `SHARD#${shard}` }),
};

/**
 * The table's partitions as IAM `dynamodb:LeadingKeys` patterns (StringLike: `*` is any run of
 * characters), one per kind of partition above. Grants name the partitions a function works in
 * (infra/constructs/storage.ts), so they follow this layout instead of repeating it; a unit test
 * checks that every key above falls in exactly one pattern.
 */
export const keyPatterns = {
  /** A lead and what hangs under it: history entries, email claims, its workflow wait. */
  lead: 'LEAD#*',
  /** A form's settings and its counters. */
  form: 'FORM#*',
  apiKey: 'APIKEY#*',
  /** The keys by their public id (one partition: listing keys is an admin's rare read). */
  apiKeyIndex: 'APIKEYS',
  idempotency: 'IDEMPOTENCY#*',
  /** Public submissions accepted and waiting to be folded into their leads. */
  submission: 'SUBMISSION#*',
  /** Erased addresses, as salted hashes: never mailed again. */
  suppression: 'SUPPRESSED#*',
  /** The audit log of exports and erasures, by day. */
  audit: 'AUDIT#*',
  ownerCounter: 'COUNTER#owners',
  /** The health probe's item (GET /health reads it, nothing writes it). */
  health: 'HEALTH',
  /** Form and client rate windows. */
  rate: 'RATE#*',
  rules: 'RULES',
  job: 'JOB#*',
  /** Settings edited through the admin API and their change records (today: the lifecycle configuration). */
  config: 'CONFIG#*',
  /** Campaign definitions (one partition). */
  campaigns: 'CAMPAIGNS',
  /** A campaign's own partition: its counters and what it runs. */
  campaign: 'CAMPAIGN#*',
  /** Marketing's email templates (one partition). */
  templates: 'TEMPLATES',
  /** The deliverability guard's hourly counts. */
  deliverability: 'DELIVERABILITY#*',
  /** Campaign send-rate windows, one per second. */
  sendRate: 'SENDRATE#*',
} as const;

/** The partitions of each index, as `dynamodb:LeadingKeys` patterns (a query names the index's partition key). */
export const indexKeyPatterns = {
  [tableKeys.byStage.indexName]: 'STAGE#*',
  [tableKeys.byDay.indexName]: 'DAY#*',
  [tableKeys.byOwner.indexName]: 'OWNER#*',
} as const;

/**
 * A lead's stable shard among `shards` (a power of two up to 256, so that every shard is as
 * likely): one lead's index entries, events and enrollments always land in the same shard.
 */
export function shardOf(leadId: string, shards: number): number {
  return createHash('sha256').update(leadId).digest().readUInt8(0) % shards;
}
