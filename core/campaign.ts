import * as z from 'zod';
import { durationSeconds } from './duration';
import { detailsFromIssues, ValidationError } from './errors';
import type { Lead } from './lead';
import { engagementEventTypes } from './scoring/events';
import { gradeSchema } from './scoring/score';
import { stages, type Stage } from './stages';

/**
 * Nurture campaigns as data: who they are for (a segment read from the stage index), what they
 * send (steps: a template after a delay, maybe under a condition on the previous step), and the
 * triggers that enroll leads by themselves. Pure: the senders and the launch decide with these.
 */

const isoDuration = z.string().refine(
  (value) => {
    try {
      durationSeconds(value);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be an ISO-8601 duration such as P3D or PT12H (W, D, H, M, S)' },
);
const dateTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time' });
const nonEmptyList = <T extends z.ZodType>(item: T) => z.array(item).min(1, { error: 'must name at least one' }).max(50);

export const segmentSchema = z
  .strictObject({
    stages: nonEmptyList(z.enum(stages)).optional(),
    minScore: z.number().min(0).max(100).optional(),
    maxScore: z.number().min(0).max(100).optional(),
    /** Fit part of the score (BANT and ideal-customer-profile), 0-100. */
    minFit: z.number().min(0).max(100).optional(),
    maxFit: z.number().min(0).max(100).optional(),
    grades: nonEmptyList(gradeSchema).optional(),
    /** First-touch source. */
    sources: nonEmptyList(z.string().min(1).max(200)).optional(),
    /** The first touch's `utm_campaign`. */
    utmCampaigns: nonEmptyList(z.string().min(1).max(200)).optional(),
    /** The form of the first touch. */
    formIds: nonEmptyList(z.string().min(1).max(200)).optional(),
    capturedAfter: dateTime.optional(),
    capturedBefore: dateTime.optional(),
    customField: z.strictObject({ name: z.string().min(1).max(64), equals: z.string().max(2000) }).optional(),
  })
  .refine((segment) => segment.minScore === undefined || segment.maxScore === undefined || segment.minScore <= segment.maxScore, {
    error: 'must not be above maxScore',
    path: ['minScore'],
  })
  .refine((segment) => segment.minFit === undefined || segment.maxFit === undefined || segment.minFit <= segment.maxFit, {
    error: 'must not be above maxFit',
    path: ['minFit'],
  });
export type Segment = z.infer<typeof segmentSchema>;

export const stepConditionTypes = [
  'opened_previous',
  'not_opened_previous',
  'clicked_previous',
  'not_clicked_previous',
  'score_below',
  'score_at_least',
] as const;
export type StepConditionType = (typeof stepConditionTypes)[number];
const scoreConditions: ReadonlySet<string> = new Set(['score_below', 'score_at_least']);

export const stepConditionSchema = z
  .strictObject({ type: z.enum(stepConditionTypes), value: z.number().min(0).max(100).optional() })
  .refine((condition) => !scoreConditions.has(condition.type) || condition.value !== undefined, {
    error: 'a score condition needs a value (0-100)',
    path: ['value'],
  });
export type StepCondition = z.infer<typeof stepConditionSchema>;

export const campaignStepSchema = z.strictObject({
  templateId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'must be a template id (lowercase letters, digits, dashes)' }),
  /** Wait this long after the previous step (the first step: after enrollment). */
  delay: isoDuration,
  condition: stepConditionSchema.optional(),
});
export type CampaignStep = z.infer<typeof campaignStepSchema>;

export const campaignTriggerSchema = z.discriminatedUnion('type', [
  /** Captured (first submission) through one of these forms or from one of these sources. */
  z
    .strictObject({
      type: z.literal('captured'),
      formIds: nonEmptyList(z.string().min(1).max(200)).optional(),
      sources: nonEmptyList(z.string().min(1).max(200)).optional(),
    })
    .refine((trigger) => trigger.formIds !== undefined || trigger.sources !== undefined, {
      error: 'a captured trigger names formIds or sources',
      path: ['formIds'],
    }),
  /** Entered this stage (`lost` for a win-back sequence, `nurturing` for a welcome series). */
  z.strictObject({ type: z.literal('stage_entered'), stage: z.enum(stages) }),
  /** An engagement event of this type, of this asset (`properties.asset`) when given. */
  z.strictObject({ type: z.literal('engagement'), eventType: z.enum(engagementEventTypes), asset: z.string().min(1).max(500).optional() }),
]);
export type CampaignTrigger = z.infer<typeof campaignTriggerSchema>;

export const MAX_CAMPAIGN_STEPS = 20;

export const newCampaignSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  segment: segmentSchema.default({}),
  steps: z.array(campaignStepSchema).min(1, { error: 'a campaign has at least one step' }).max(MAX_CAMPAIGN_STEPS),
  triggers: z.array(campaignTriggerSchema).max(20).optional(),
  /** A lead may enter again this long after it last entered; without it, a lead enters once. */
  reEntryAfter: isoDuration.optional(),
});
export type NewCampaign = z.infer<typeof newCampaignSchema>;

/** A launch's options: `enrollSegment: false` only activates the campaign (its triggers enroll leads). */
export const launchSchema = z.strictObject({ enrollSegment: z.boolean().default(true) });

export type CampaignDefinition = NewCampaign & { campaignId: string };

/** Validates a campaign definition; a bad one throws a ValidationError naming each bad field (`steps[1].delay`). */
export function parseCampaign(body: unknown): NewCampaign {
  const result = newCampaignSchema.safeParse(body);
  if (result.success) {
    const first = result.data.steps[0];
    if (first?.condition && !scoreConditions.has(first.condition.type)) {
      throw new ValidationError('the campaign is invalid', [
        { path: 'steps[0].condition', message: 'the first step has no previous step: only score conditions apply' },
      ]);
    }
    return result.data;
  }
  throw new ValidationError(
    'the campaign is invalid',
    detailsFromIssues(result.error.issues).map((detail) => ({ ...detail, path: fieldPath(detail.path) })),
    { cause: result.error },
  );
}

/** `steps.1.delay` as people write it: `steps[1].delay`. */
export function fieldPath(dotted: string): string {
  return dotted.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

/** The stage partitions of the index that hold the segment's leads (all stages when it names none). */
export function segmentStages(segment: Segment): Stage[] {
  return segment.stages ? [...new Set(segment.stages)] : [...stages];
}

/** Whether the lead is in the segment now. */
export function segmentMatches(lead: Lead, segment: Segment): boolean {
  if (segment.stages && !segment.stages.includes(lead.stage)) return false;
  const score = lead.score;
  if (segment.minScore !== undefined && !(score && score.total >= segment.minScore)) return false;
  if (segment.maxScore !== undefined && !(score && score.total <= segment.maxScore)) return false;
  if (segment.minFit !== undefined && !(score && score.fit >= segment.minFit)) return false;
  if (segment.maxFit !== undefined && !(score && score.fit <= segment.maxFit)) return false;
  if (segment.grades && !(score && segment.grades.includes(score.grade))) return false;
  const first = lead.attribution.firstTouch;
  if (segment.sources && !segment.sources.includes(lead.source)) return false;
  if (segment.utmCampaigns && !(first.campaign !== undefined && segment.utmCampaigns.includes(first.campaign))) return false;
  if (segment.formIds && !segment.formIds.includes(first.formId)) return false;
  const created = Date.parse(lead.createdAt);
  if (segment.capturedAfter !== undefined && !(created >= Date.parse(segment.capturedAfter))) return false;
  if (segment.capturedBefore !== undefined && !(created < Date.parse(segment.capturedBefore))) return false;
  if (segment.customField && lead.customFields[segment.customField.name] !== segment.customField.equals) return false;
  return true;
}

/** Qualified and every stage after it: the lead is sales' now, and marketing stops nurturing it. */
export const salesStages: readonly Stage[] = ['qualified', 'presentation', 'objection', 'closing', 'won'];

/** Why a lead's sequence stops before a step (a `skipped_<reason>` counter), or undefined to go on. */
export type StopReason = 'unsubscribed' | 'no_consent' | 'sales_stage' | 'left_segment';

/**
 * Checked before every step. A triggered enrollment (a lead that entered `lost`, a download) is
 * held to the segment too: an empty segment holds every lead.
 */
export function whyStop(lead: Lead, campaign: Pick<NewCampaign, 'segment'>): StopReason | undefined {
  // An unsubscribe also withdraws consent: named first, so the stats say why.
  if (lead.unsubscribedAt) return 'unsubscribed';
  if (!lead.consent) return 'no_consent';
  if (salesStages.includes(lead.stage)) return 'sales_stage';
  if (!segmentMatches(lead, campaign.segment)) return 'left_segment';
  return undefined;
}

/** What became of the previous step's email for this lead. */
export interface PreviousStepOutcome {
  sent: boolean;
  opened: boolean;
  clicked: boolean;
}

/**
 * Whether a step's condition holds. The previous-step conditions speak of an email the lead got:
 * when the previous step was not sent (skipped), "did not open it" does not hold either.
 */
export function stepConditionHolds(condition: StepCondition | undefined, previous: PreviousStepOutcome | undefined, lead: Lead): boolean {
  if (!condition) return true;
  const total = lead.score?.total ?? 0;
  // A click implies the message was opened (images may be blocked, so SES may report no open).
  const opened = previous ? previous.opened || previous.clicked : false;
  const sent = previous?.sent ?? false;
  switch (condition.type) {
    case 'opened_previous':
      return sent && opened;
    case 'not_opened_previous':
      return sent && !opened;
    case 'clicked_previous':
      return sent && (previous?.clicked ?? false);
    case 'not_clicked_previous':
      return sent && !(previous?.clicked ?? false);
    case 'score_below':
      return total < (condition.value ?? 0);
    case 'score_at_least':
      return total >= (condition.value ?? 0);
  }
}

/** A change to a lead that may enroll it, as read from a history entry. */
export type LeadChange =
  | { kind: 'captured'; formId: string; source: string }
  | { kind: 'stage_entered'; stage: Stage }
  | { kind: 'engagement'; eventType: string; asset?: string };

export function triggerMatches(trigger: CampaignTrigger, change: LeadChange): boolean {
  switch (trigger.type) {
    case 'captured':
      return (
        change.kind === 'captured' &&
        (trigger.formIds === undefined || trigger.formIds.includes(change.formId)) &&
        (trigger.sources === undefined || trigger.sources.includes(change.source))
      );
    case 'stage_entered':
      return change.kind === 'stage_entered' && change.stage === trigger.stage;
    case 'engagement':
      return (
        change.kind === 'engagement' &&
        change.eventType === trigger.eventType &&
        (trigger.asset === undefined || change.asset === trigger.asset)
      );
  }
}

/** The change a history entry records, when it is one a trigger can match. */
export function leadChangeOf(entry: { type: string; data?: Record<string, unknown> }): LeadChange | undefined {
  const data = entry.data ?? {};
  if (entry.type === 'captured' && typeof data.formId === 'string') {
    return { kind: 'captured', formId: data.formId, source: typeof data.source === 'string' ? data.source : '' };
  }
  if (entry.type === 'stage_changed' && typeof data.to === 'string' && (stages as readonly string[]).includes(data.to)) {
    return { kind: 'stage_entered', stage: data.to as Stage };
  }
  if (entry.type === 'engagement' && typeof data.type === 'string') {
    const properties = (data.properties ?? {}) as Record<string, unknown>;
    const asset = properties.asset;
    return { kind: 'engagement', eventType: data.type, ...(typeof asset === 'string' && { asset }) };
  }
  return undefined;
}

/**
 * Whether a lead that entered at `lastEnteredAt` may enter again at `now` (only where the
 * campaign allows re-entry, and only after its `reEntryAfter`).
 */
export function mayReEnter(campaign: Pick<NewCampaign, 'reEntryAfter'>, lastEnteredAt: string, now: Date): boolean {
  if (!campaign.reEntryAfter) return false;
  return now.getTime() - Date.parse(lastEnteredAt) >= durationSeconds(campaign.reEntryAfter) * 1000;
}

/**
 * The once-key of a step's email: entry 1 keeps the plain `campaign:<id>:step:<n>`, a re-entry
 * has its own, so a lead that enters again can get the steps again (and each only once).
 */
export function campaignStepOnceKey(campaignId: string, step: number, entry = 1): string {
  return entry === 1 ? `campaign:${campaignId}:step:${step}` : `campaign:${campaignId}:entry:${entry}:step:${step}`;
}

/** The sequence execution of one lead's entry into a campaign: its name makes a second start fail. */
export function sequenceExecutionName(campaignId: string, leadId: string, entry: number): string {
  return `${campaignId}-${leadId}-${entry}`;
}
