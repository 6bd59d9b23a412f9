import * as z from 'zod';
import { formSchema } from '../core/form';
import { historyEntrySchema } from '../core/history';
import { leadIdSchema, leadSchema } from '../core/lead';
import { scoreSchema } from '../core/scoring';
import { stages } from '../core/stages';

/** The answers that no domain schema described yet, one per route that gives them. */

const count = z.number().int().min(0);
const timestamp = z.iso.datetime().meta({ description: 'ISO-8601, UTC.' });

/** `202` to a form submission. */
export const captureAnswerSchema = z.object({
  submissionId: z
    .string()
    .regex(/^sb_[A-Za-z0-9_-]{22}$/)
    .meta({ description: 'This submission (the same for a retry with the same Idempotency-Key or provider event id).' }),
  leadId: leadIdSchema.optional().meta({ description: 'Only for a signed or keyed submission: the lead it was recorded on.' }),
  duplicate: z
    .boolean()
    .optional()
    .meta({ description: 'Only for a signed or keyed submission: the address was already a lead, the submission was a touch on it.' }),
});

/** `GET /v1/leads`: the lead for an address, or a page of leads (newest first; without a stage, stage by stage). */
export const leadsPageSchema = z.object({
  leads: z.array(leadSchema),
  nextCursor: z.string().optional().meta({ description: 'Absent on the last page.' }),
});

/** A page of a lead's audit trail, oldest first. */
export const historyPageSchema = z.object({
  leadId: leadIdSchema,
  entries: z.array(historyEntrySchema.omit({ leadId: true })),
  nextCursor: z.string().optional().meta({ description: 'Absent on the last page.' }),
});

export const stageMoveAnswerSchema = z.object({
  leadId: leadIdSchema,
  from: z.enum(stages),
  stage: z.enum(stages),
  at: timestamp,
});

/** `200` to an owner change: the lead's owner now. */
export const ownerChangeAnswerSchema = z.object({
  leadId: leadIdSchema,
  owner: z.object({ name: z.string(), email: z.string() }),
  stage: z.enum(stages),
});

/** `200` to an erasure: what went, and what stays without personal data for the metrics. */
export const erasureAnswerSchema = z.object({
  leadId: leadIdSchema,
  erasedAt: timestamp,
  erased: z.object({
    historyDeleted: count.meta({ description: 'History entries deleted (already counted by the metrics, or counting nothing).' }),
    historyAnonymized: count.meta({ description: 'History entries the metrics have yet to count, kept without personal data.' }),
    emailClaims: count,
    idempotencyRecords: count,
    workflowWaits: count,
    other: count,
    executionsStopped: count.meta({ description: 'Running workflow executions stopped.' }),
  }),
});

/** `202` to an engagement event: the lead's score after it. */
export const engagementAnswerSchema = z.object({
  leadId: leadIdSchema,
  score: scoreSchema.pick({ total: true, grade: true, fit: true, engagement: true }),
});

/** A form as the admin API shows it: the signing secret never leaves the table. */
export const formViewSchema = formSchema.omit({ signingSecret: true }).extend({
  signed: z.boolean().meta({ description: 'Submissions must carry a valid Leadflow-Signature.' }),
});

export const formWithStatsSchema = formViewSchema.extend({
  stats: z.object({ spamDropped: count.meta({ description: 'Honeypot submissions dropped (counted, never stored).' }) }),
});

export const rulesPublishedSchema = z.object({
  version: z.string(),
  published: z.literal(true),
  rescore: z.string().meta({ description: 'How to rescore the existing leads with these rules.' }),
});

export const rescoreStartedSchema = z.object({
  jobId: z.string(),
  rulesVersion: z.string(),
  status: z.literal('running'),
});

/** A rescore job's progress, as it is stored and read back. */
export const rescoreJobSchema = z.object({
  jobId: z.string(),
  status: z.enum(['running', 'succeeded', 'failed']),
  rulesVersion: z.string(),
  processed: count.meta({ description: 'Leads read so far.' }),
  rescored: count.meta({ description: 'Leads whose score changed.' }),
  startedAt: timestamp,
  finishedAt: timestamp.optional(),
  /** Null once the job has gone past its last stage partition. */
  currentStage: z.enum(stages).nullable().optional().meta({ description: 'The stage partition being worked through.' }),
});
export type RescoreJob = z.infer<typeof rescoreJobSchema>;

/** An on-demand metrics aggregation job, as queued, answered again while it runs, and read back. */
export { aggregationJobSchema } from '../core/metrics/aggregation-job';

const dependencySchema = z.object({
  status: z.enum(['ok', 'down']),
  latencyMs: count.meta({ description: 'How long the probe took (up to its 1 s timeout).' }),
  error: z.string().optional().meta({ description: 'When down: the name of the error the probe met (e.g. `TimeoutError`).' }),
});

export const healthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  service: z.literal('leadflow'),
  startedAt: timestamp,
  dependencies: z
    .object({ dynamodb: dependencySchema, ses: dependencySchema })
    .meta({ description: 'Each dependency probed (a table read, the SES account); the verdict is cached for 2 s.' }),
});

/** This API's own description (`GET /openapi.json`), loosely: the document is its own schema. */
export const openApiDocumentSchema = z.looseObject({
  openapi: z.string().startsWith('3.1'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

/** `202` to an operator's workflow retry. */
export const workflowRetryAnswerSchema = z.object({
  leadId: leadIdSchema,
  action: z.enum(['resumed', 'restarted']).meta({
    description:
      '`resumed`: the parked execution goes on; `restarted`: the ended execution has a successor that picks the lead up at its stage.',
  }),
  executionName: z.string().meta({ description: 'The execution now carrying the lead.' }),
});
