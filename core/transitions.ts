import { withEngagement, type ScoredLead } from './capture';
import { historyEntry, type HistoryEntry } from './history';
import type { EngagementEvent, ScoringRules } from './scoring';
import type { Lead, Owner } from './lead';
import { nextStage, type StageMove } from './stage-machine';
import type { Stage } from './stages';

export interface Transition {
  lead: Lead;
  entry: HistoryEntry;
}

/**
 * Moves a lead to a new stage (checked against the allowed moves) and describes the move for the
 * audit trail and the metrics: who, why, how long it sat in the previous stage, deal value.
 */
export function moveLead(lead: Lead, move: StageMove, actor: string, now: Date, owner?: Owner): Transition {
  const to = nextStage(lead.stage, move.stage);
  const at = now.toISOString();
  const secondsInPrevious = Math.max(0, Math.round((now.getTime() - Date.parse(lead.stageChangedAt)) / 1000));
  const next: Lead = {
    ...lead,
    stage: to,
    stageChangedAt: at,
    updatedAt: at,
    version: lead.version + 1,
    owner: owner ?? lead.owner,
  };
  if (to === 'won' && move.dealValue !== undefined) next.deal = { value: move.dealValue, currency: move.currency, wonAt: at };
  if (to === 'objection' && move.objection) next.objection = { ...move.objection, at };
  if (to === 'lost' || to === 'disqualified') next.closedReason = move.reason;
  const entry = historyEntry(lead.leadId, 'stage_changed', actor, now, {
    from: lead.stage,
    to,
    secondsInPrevious,
    ...(move.reason && { reason: move.reason }),
    ...(next.deal && to === 'won' && { dealValue: next.deal.value, currency: next.deal.currency }),
    ...(move.objection && to === 'objection' && { objection: move.objection }),
    // The lead's owner on every move (not only the routing one), so KPIs can be read per owner.
    ...(next.owner && { owner: next.owner.email }),
    source: lead.source,
    leadCreatedAt: lead.createdAt,
  });
  return { lead: next, entry };
}

/** The routing move the workflow makes for a new lead from its score decision. */
export function routingMove(decision: Stage, reason: string): StageMove {
  return { stage: decision, reason, currency: 'USD' };
}

export interface Rescored {
  lead: ScoredLead;
  /** The `score_changed` entry, when the total, the grade or the rules version changed. */
  scoreChange?: HistoryEntry;
}

/**
 * Rescores a lead (with a new engagement event, or as it is under `rules`) as the next version of
 * it, and describes a changed score for the audit trail: from what, to what, under which rules, why.
 */
export function rescoreLead(
  lead: Lead,
  event: EngagementEvent | undefined,
  rules: ScoringRules,
  actor: string,
  now: Date,
  cause: string,
): Rescored {
  const scored: ScoredLead = { ...withEngagement(lead, event, rules, now), updatedAt: now.toISOString(), version: lead.version + 1 };
  const before = lead.score;
  const after = scored.score;
  const changed = !before || before.total !== after.total || before.grade !== after.grade || before.rulesVersion !== after.rulesVersion;
  if (!changed) return { lead: scored };
  const scoreChange = historyEntry(lead.leadId, 'score_changed', actor, now, {
    // The old rules version only where the rules changed: the entry's own rulesVersion names the new one.
    from: before && {
      total: before.total,
      grade: before.grade,
      ...(before.rulesVersion !== after.rulesVersion && { rulesVersion: before.rulesVersion }),
    },
    to: { total: after.total, grade: after.grade },
    rulesVersion: after.rulesVersion,
    cause,
  });
  return { lead: scored, scoreChange };
}
