import * as z from 'zod';
import { funnelStages } from '../stage-machine';
import { stages } from '../stages';
import { emailOutcomes, type EmailOutcome } from './aggregate';
import { groupBys } from './query';

/**
 * The metrics report as zod schemas, for the API's contract (`GET /v1/metrics`). The report is
 * computed by metricsReport(); its unit tests check that these schemas and the MetricsReport
 * type stay the same shape.
 */

const count = z.number().int().min(0);
/** A ratio is null when its denominator is empty: an empty range has no rate, never NaN. */
const ratio = z.number().min(0).nullable();
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .meta({ description: 'A UTC calendar day, YYYY-MM-DD.', examples: ['2025-03-01'] });

export const funnelStageKpisSchema = z.object({
  stage: z.enum(funnelStages),
  reached: count.meta({ description: 'Entries into the stage (captures for `new`).' }),
  left: count.meta({ description: 'Moves out of the stage.' }),
  advanced: count.meta({ description: 'Moves out of the stage to a later funnel stage.' }),
  conversion: ratio.meta({ description: 'advanced / left; null when nobody left the stage.' }),
});

const salesCycleSchema = z.object({
  deals: count,
  mean: z.number().nullable(),
  median: z.number().nullable(),
});

const emailCounts = Object.fromEntries(emailOutcomes.map((outcome) => [outcome, count])) as Record<EmailOutcome, typeof count>;

/** Per email sent, never above 1; null when nothing was sent. */
const emailRate = z.number().min(0).max(1).nullable();

export const emailKpisSchema = z
  .object({
    ...emailCounts,
    deliveryRate: emailRate,
    openRate: emailRate,
    clickRate: emailRate,
    bounceRate: emailRate,
    complaintRate: emailRate,
    unsubscribeRate: emailRate,
  })
  .meta({
    description:
      'Prospect emails sent and what SES reported of them (and unsubscribes); each rate is per email sent, each count capped at the sends.',
  });

export const dealsSchema = z
  .record(z.string().regex(/^[A-Z]{3}$/), z.object({ count: count.min(1), value: z.number().min(0), average: z.number().min(0) }))
  .meta({
    description: 'Won deals with a value, per currency (ISO 4217; `XXX`: unknown): never added across currencies.',
    examples: [{ EUR: { count: 2, value: 50000, average: 25000 }, USD: { count: 1, value: 12000, average: 12000 } }],
  });

export const kpisSchema = z.object({
  leads: count,
  qualified: count.meta({ description: 'Moves into qualified (from new or from nurturing).' }),
  qualificationRate: ratio.meta({ description: 'qualified / leads of the same range (a flow ratio; it can exceed 1).' }),
  funnel: z.array(funnelStageKpisSchema),
  won: count,
  lost: count,
  winRate: ratio.meta({ description: 'won / (won + lost)' }),
  deals: dealsSchema,
  salesCycleDays: salesCycleSchema.meta({ description: 'Capture to won, in days, per deal won in the range.' }),
  averageDaysInStage: z.record(z.enum(stages), z.number().nullable()),
  email: emailKpisSchema,
});

export const weakestStageSchema = z.object({
  stage: z.enum(funnelStages).exclude(['won']),
  conversion: z.number().min(0),
  explanation: z.string(),
});

export const metricsReportSchema = z.object({
  from: day,
  to: day,
  days: z.number().int().positive(),
  groupBy: z.enum(groupBys),
  totals: kpisSchema,
  weakestStage: weakestStageSchema
    .nullable()
    .meta({ description: 'The funnel stage with the lowest conversion, and what that points at.' }),
  leadsBySource: z.array(z.object({ source: z.string(), leads: count })),
  leadsByCampaign: z
    .array(z.object({ campaign: z.string(), leads: count }))
    .meta({ description: 'Leads by the UTM campaign they were captured from (`groupBy=utm_campaign`).' }),
  owners: z.array(z.object({ owner: z.string(), won: count, lost: count, winRate: ratio, salesCycleDays: salesCycleSchema })),
  groups: z.array(z.object({ group: z.string(), kpis: kpisSchema })).meta({
    description:
      'One row per day of the range (days without events are zeros), or per source, owner, marketing campaign (`campaign`: ' +
      'the campaign id of its emails, most sent first) or UTM campaign (`utm_campaign`).',
  }),
});

/** `?from&to&groupBy`, as parseMetricsQuery reads it (both days inclusive). */
export const metricsQuerySchema = z.object({
  from: day.optional().meta({ description: 'First day; default 29 days before `to`.' }),
  to: day.optional().meta({ description: 'Last day; default today (UTC).' }),
  groupBy: z.enum(groupBys).default('day'),
});
