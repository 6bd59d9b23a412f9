import * as z from 'zod';
import { detailsFromIssues, ValidationError } from './errors';
import { durationSeconds } from './duration';
import type { Stage } from './stages';
import type { ObjectionType } from './stage-machine';

function isDuration(value: string): boolean {
  try {
    return durationSeconds(value) > 0;
  } catch {
    return false;
  }
}

const duration = z.string().refine(isDuration, 'must be a positive ISO-8601 duration such as P1D');

const person = z.object({ name: z.string().min(1), email: z.email() });

/**
 * Everything about timing and guidance is configuration: who owns leads, when follow-ups fire,
 * what a rep is told at each stage. The deployment's (CDK context `lifecycle`) is checked at synth
 * and bundled into the functions that read it; an edited one (`PUT /v1/lifecycle-config`) is stored
 * in the table and takes its place.
 */
const lifecycleConfigShape = z.object({
  owners: z.array(person).min(1),
  manager: person,
  followUps: z
    .object({
      /** A qualified lead untouched this long reminds its owner... */
      qualifiedRemindAfter: duration.default('P1D'),
      /** ...and this long after qualification escalates to the manager. */
      qualifiedEscalateAfter: duration.default('P3D'),
      /** Idle this long in presentation, objection or closing: a check-in to the prospect and a reminder to the owner. */
      idleCheckInAfter: z
        .object({ presentation: duration, objection: duration, closing: duration })
        .default({ presentation: 'P3D', objection: 'P2D', closing: 'P2D' }),
      /** After the timed follow-ups, an idle lead is looked at again this often (owner reminder). */
      staleRemindEvery: duration.default('P14D'),
      /** How often a nurturing lead is re-checked while it waits to be qualified. */
      nurtureRecheckEvery: duration.default('P30D'),
    })
    .default({
      qualifiedRemindAfter: 'P1D',
      qualifiedEscalateAfter: 'P3D',
      idleCheckInAfter: { presentation: 'P3D', objection: 'P2D', closing: 'P2D' },
      staleRemindEvery: 'P14D',
      nurtureRecheckEvery: 'P30D',
    }),
  retention: z
    .object({ checkInAfter: duration, surveyAfter: duration, upsellAfter: duration })
    .default({ checkInAfter: 'P7D', surveyAfter: 'P30D', upsellAfter: 'P90D' }),
  renurtureAfter: duration.default('P90D'),
  /**
   * A lead in `qualified` this long without a move goes back to nurturing (recorded with the
   * reason): sales capacity is spent on live leads and marketing gets the cold ones back.
   */
  recycleQualifiedAfter: duration.default('P30D'),
  /**
   * A Standard execution ends after one year: before it is this old, an execution hands its
   * lead to a successor (continue-as-new). Every single wait must be shorter than this.
   */
  continueAsNewAfter: duration.default('P360D'),
  playbooks: z.record(z.string(), z.array(z.string().min(1))).default({}),
});

export const lifecycleConfigSchema = lifecycleConfigShape.superRefine((config, context) => {
  // Waits are the gaps between these, so each must come after the one before.
  const ordered = (earlier: string, later: string, path: string[]) => {
    // A malformed duration is already an issue of its own field (zod runs this refinement anyway).
    if (!isDuration(earlier) || !isDuration(later)) return;
    if (durationSeconds(later) <= durationSeconds(earlier)) {
      context.addIssue({ code: 'custom', path, message: `must be longer than ${earlier}` });
    }
  };
  ordered(config.followUps.qualifiedRemindAfter, config.followUps.qualifiedEscalateAfter, ['followUps', 'qualifiedEscalateAfter']);
  ordered(config.retention.checkInAfter, config.retention.surveyAfter, ['retention', 'surveyAfter']);
  ordered(config.retention.surveyAfter, config.retention.upsellAfter, ['retention', 'upsellAfter']);
  ordered(config.followUps.qualifiedEscalateAfter, config.recycleQualifiedAfter, ['recycleQualifiedAfter']);
  if (!isDuration(config.continueAsNewAfter)) return;
  if (durationSeconds(config.continueAsNewAfter) > MAX_EXECUTION_AGE_SECONDS) {
    context.addIssue({ code: 'custom', path: ['continueAsNewAfter'], message: 'must be at most P360D (executions end after one year)' });
  }
  // A successor starts with the same wait ahead of it: one that can never fit would hand over forever.
  for (const [path, wait] of longestWaits(config)) {
    if (isDuration(wait) && durationSeconds(wait) >= durationSeconds(config.continueAsNewAfter)) {
      context.addIssue({ code: 'custom', path, message: `must be shorter than continueAsNewAfter (${config.continueAsNewAfter})` });
    }
  }
});
export type LifecycleConfig = z.infer<typeof lifecycleConfigSchema>;

/** Standard executions end after one year; handing over five days before leaves room for retries. */
export const MAX_EXECUTION_AGE_SECONDS = 360 * 86_400;

/** The longest uninterrupted waits the configuration can make a workflow sit through. */
function longestWaits(config: z.infer<typeof lifecycleConfigShape>): Array<[string[], string]> {
  const f = config.followUps;
  return [
    [['followUps', 'staleRemindEvery'], f.staleRemindEvery],
    [['followUps', 'nurtureRecheckEvery'], f.nurtureRecheckEvery],
    [['followUps', 'qualifiedEscalateAfter'], f.qualifiedEscalateAfter],
    ...(['presentation', 'objection', 'closing'] as const).map((stage): [string[], string] => [
      ['followUps', 'idleCheckInAfter', stage],
      f.idleCheckInAfter[stage],
    ]),
    [['retention', 'upsellAfter'], config.retention.upsellAfter],
    [['renurtureAfter'], config.renurtureAfter],
  ];
}

/** A lifecycle configuration document checked with the schema; a bad one is a ValidationError naming each bad field. */
export function parseLifecycleConfig(doc: unknown): LifecycleConfig {
  const result = lifecycleConfigSchema.safeParse(doc);
  if (result.success) return result.data;
  throw new ValidationError('the lifecycle configuration is invalid', detailsFromIssues(result.error.issues), { cause: result.error });
}

/**
 * The configuration in effect, where it comes from, and which edit made it: `version` counts the
 * edits (0 before the first), so a client names the version it read when it writes (`If-Match`).
 */
export const lifecycleConfigViewSchema = z.object({
  source: z.enum(['deployed', 'stored']).meta({
    description: '`stored`: edited through this API; `deployed`: the CDK context `lifecycle` of the deployment (nothing stored).',
  }),
  version: z.number().int().min(0).meta({ description: 'The number of edits so far; send it back as `If-Match` to change it.' }),
  updatedAt: z.string().optional().meta({ description: 'When the last edit (a PUT or a DELETE) was made.' }),
  updatedBy: z.string().optional().meta({ description: 'Who made it (`api-key:<name>`).' }),
  problem: z.string().optional().meta({
    description: 'Set when the stored document fails the schema (it was edited in the table): why the deployed one is in effect.',
  }),
  config: lifecycleConfigSchema,
});
export type LifecycleConfigView = z.infer<typeof lifecycleConfigViewSchema>;

/** Guidance from the sales process, handed to the rep at the moment it helps. */
export const defaultPlaybooks: Record<string, string[]> = {
  qualified: [
    'Call within a day: ask about current challenges and the solutions being considered.',
    'Confirm budget, authority, need and timeline (BANT) before booking a presentation.',
  ],
  presentation: [
    "Tailor the demo to the pain points found while qualifying; show the features that fit the prospect's team.",
    'Tell the success story of a similar customer.',
  ],
  'objection:price': [
    'Acknowledge the concern, then show the return on investment and long-term savings.',
    'Offer a testimonial or case study with measured results.',
  ],
  'objection:features': ['Listen fully, then map the need to existing features or the roadmap; offer a focused demo.'],
  'objection:timing': ['Ask what would have to be true to start now; propose a phased start.'],
  'objection:authority': ['Ask who else decides and offer a session for them.'],
  'objection:other': ['Listen actively, restate the concern, answer with evidence.'],
  closing: [
    'Assumptive close: proceed to next steps such as payment options and delivery timeline.',
    'If the prospect hesitates, trial close: "How does this solution align with your needs?"',
  ],
  won: ['Send a personal thank-you; schedule onboarding and a check-in call.'],
};

/** The playbook for a stage (and objection type), configured text first. */
export function playbookFor(config: LifecycleConfig, stage: Stage, objection?: ObjectionType): string[] {
  const key = stage === 'objection' && objection ? `objection:${objection}` : stage;
  return config.playbooks[key] ?? defaultPlaybooks[key] ?? [];
}

export type FollowUpAction = 'remind-owner' | 'escalate-manager' | 'check-in-prospect' | 'nurture-recheck' | 'recycle-to-nurturing';

/** Where the workflow goes after a step: wait for a rep, retention, re-nurture, the end, or a successor execution. */
export type NextStep = 'route' | 'await' | 'won' | 'lost' | 'end';

/** What the workflow does next after a stage is entered or a wait times out. */
export interface LifecycleStep {
  stage: Stage;
  /**
   * route: route the lead (still new); await: wait for a rep move (or the timeout); won/lost/end: leave the loop; continue: the
   * execution is too old for the wait ahead, so a successor execution carries on with `then`.
   */
  next: NextStep | 'continue';
  /** With `continue`: what the successor does first. */
  then?: NextStep;
  /** How long to wait for the rep before the follow-ups below fire. */
  timeoutSeconds: number;
  /** The follow-ups that fire when that wait times out. */
  onTimeout: FollowUpAction[];
  /** How many timed follow-ups this stage has had. */
  followUpsSent: number;
  /**
   * When the retention emails go out after a win, and when a lost lead returns to nurturing: times
   * counted from entering the stage, so a resumed or successor execution keeps the same dates.
   */
  retention: { checkInAt: string; surveyAt: string; upsellAt: string };
  renurtureAt: string;
}

/** What a step knows about time: the execution's start (`$$.Execution.StartTime`), now, and when the lead entered its stage. */
export interface StepClock {
  /** Without it, no hand-over check (the caller is not an execution's step). */
  executionStartedAt?: string;
  now: Date;
  stageChangedAt?: string;
}

/**
 * The one place that turns configuration into the workflow's next wait: the state machine only
 * branches on `next` and waits `timeoutSeconds`, so no threshold or delay is copied into ASL.
 * With a clock, a wait that would outlive the execution becomes `continue` (a successor takes over).
 */
export function planStep(stage: Stage, followUpsSent: number, config: LifecycleConfig, clock?: StepClock): LifecycleStep {
  const step = planStageStep(stage, followUpsSent, config, clock);
  return clock ? handOverIfTooOld(step, config, clock) : step;
}

/** The step itself, or `continue` when its waits would run past the execution's hand-over age. */
export function handOverIfTooOld(step: LifecycleStep, config: LifecycleConfig, clock: StepClock): LifecycleStep {
  const next = step.next;
  if (next === 'end' || next === 'continue' || clock.executionStartedAt === undefined) return step;
  const ageSeconds = (clock.now.getTime() - Date.parse(clock.executionStartedAt)) / 1000;
  if (ageSeconds + waitAhead(step, clock.now) <= durationSeconds(config.continueAsNewAfter)) return step;
  return { ...step, next: 'continue', then: next };
}

/** The first step of a successor execution: the step its predecessor handed over. */
export function successorStep(step: LifecycleStep): LifecycleStep {
  if (step.next !== 'continue') return step;
  const { then, ...rest } = step;
  return { ...rest, next: then ?? 'await' };
}

/** How long the workflow will sit in the step's waits before it next runs a step. */
function waitAhead(step: LifecycleStep, now: Date): number {
  const until = (at: string) => Math.max(0, (Date.parse(at) - now.getTime()) / 1000);
  switch (step.next) {
    case 'won':
      return until(step.retention.upsellAt);
    case 'lost':
      return until(step.renurtureAt);
    default:
      return step.timeoutSeconds;
  }
}

function planStageStep(stage: Stage, followUpsSent: number, config: LifecycleConfig, clock?: StepClock): LifecycleStep {
  const f = config.followUps;
  const seconds = durationSeconds;
  const entered = Date.parse(clock?.stageChangedAt ?? '') || (clock?.now ?? new Date()).getTime();
  const after = (duration: string) => new Date(entered + seconds(duration) * 1000).toISOString();
  const retention = {
    checkInAt: after(config.retention.checkInAfter),
    surveyAt: after(config.retention.surveyAfter),
    upsellAt: after(config.retention.upsellAfter),
  };
  const base = { stage, followUpsSent, retention, renurtureAt: after(config.renurtureAfter) };
  const stale = { ...base, next: 'await' as const, timeoutSeconds: seconds(f.staleRemindEvery), onTimeout: ['remind-owner' as const] };

  switch (stage) {
    case 'won':
      return { ...base, next: 'won', timeoutSeconds: 0, onTimeout: [] };
    case 'lost':
      return { ...base, next: 'lost', timeoutSeconds: 0, onTimeout: [] };
    case 'disqualified':
      return { ...base, next: 'end', timeoutSeconds: 0, onTimeout: [] };
    case 'new':
      // Not routed yet (its Route step failed and an operator retried it): route it now.
      return { ...base, next: 'route', timeoutSeconds: 0, onTimeout: [] };
    case 'nurturing':
      return { ...base, next: 'await', timeoutSeconds: seconds(f.nurtureRecheckEvery), onTimeout: ['nurture-recheck'] };
    case 'qualified':
      if (followUpsSent === 0)
        return { ...base, next: 'await', timeoutSeconds: seconds(f.qualifiedRemindAfter), onTimeout: ['remind-owner'] };
      if (followUpsSent === 1) {
        return {
          ...base,
          next: 'await',
          timeoutSeconds: seconds(f.qualifiedEscalateAfter) - seconds(f.qualifiedRemindAfter),
          onTimeout: ['escalate-manager'],
        };
      }
      return recycleWhenCold(stale, config, clock);
    case 'presentation':
    case 'objection':
    case 'closing':
      if (followUpsSent === 0) {
        return {
          ...base,
          next: 'await',
          timeoutSeconds: seconds(f.idleCheckInAfter[stage]),
          onTimeout: ['check-in-prospect', 'remind-owner'],
        };
      }
      return stale;
  }
}

/**
 * A qualified lead nobody moved for `recycleQualifiedAfter` goes back to nurturing: the stale
 * reminder before that time is shortened to end exactly then.
 */
function recycleWhenCold(stale: LifecycleStep, config: LifecycleConfig, clock?: StepClock): LifecycleStep {
  if (!clock?.stageChangedAt) return stale;
  const recycleAt = Date.parse(clock.stageChangedAt) + durationSeconds(config.recycleQualifiedAfter) * 1000;
  const secondsLeft = Math.max(0, Math.ceil((recycleAt - clock.now.getTime()) / 1000));
  if (secondsLeft > stale.timeoutSeconds) return stale;
  return { ...stale, timeoutSeconds: secondsLeft, onTimeout: ['recycle-to-nurturing'] };
}

/**
 * The name of a lead's lifecycle execution: the lead's id, so it can only start once. A lead
 * captured again after an erasure has the same id (ids follow the address) while Step Functions
 * never reuses an execution's name: that lead's execution adds its creation time.
 */
export function lifecycleExecutionName(leadId: string, recreatedAt?: string): string {
  return recreatedAt === undefined ? leadId : `${leadId}-${recreatedAt.replace(/\D/g, '')}`;
}

/**
 * The name of the execution that takes over from `name` (continue-as-new, or an operator's
 * restart of an ended one): `<name>-g2`, then `-g3`... Names stay unique and tell the lineage.
 */
export function successorExecutionName(name: string): string {
  const generation = /-g(\d+)$/.exec(name);
  return generation ? `${name.slice(0, generation.index)}-g${Number(generation[1]) + 1}` : `${name}-g2`;
}

/** An execution's ARN from its state machine's ARN and its name (the form Step Functions gives them). */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
