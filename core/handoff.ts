import * as z from 'zod';
import { UnprocessableError, ValidationError, detailsFromIssues } from './errors';
import { historyEntry, type HistoryEntry } from './history';
import type { Lead, Owner } from './lead';
import { routingDecision, type ScoringRules } from './scoring';
import type { StageMove } from './stage-machine';
import type { Stage } from './stages';

/**
 * The marketing-to-sales handoff: every lead in `qualified` has an owner, given round-robin from
 * the configured owners; a nurtured lead whose score meets the qualify decision is handed to sales;
 * the new owner of a lead is told once per assignment. Pure decisions; the adapters store and send.
 */

/** A lead in `qualified` without an owner: the save that stores it must assign one. */
export function needsOwner(lead: Lead): boolean {
  return lead.stage === 'qualified' && !lead.owner;
}

/** The owner a round-robin counter at `assigned` (assignments made so far) hands out next. */
export function ownerAtSlot(owners: readonly Owner[], assigned: number): Owner {
  if (owners.length === 0) throw new Error('no owners are configured');
  const owner = owners[assigned % owners.length];
  if (!owner) throw new Error(`no owner at slot ${String(assigned)}`);
  return { name: owner.name, email: owner.email };
}

/**
 * Gives a lead in `qualified` without an owner the owner of the counter's next slot, and names
 * it on the move into `qualified` this change records (per-owner KPIs read the owner there).
 * A lead that has an owner keeps it.
 */
export function withAssignedOwner(
  lead: Lead,
  entries: HistoryEntry[],
  owners: readonly Owner[],
  assigned: number,
): { lead: Lead; entries: HistoryEntry[]; owner?: Owner } {
  if (!needsOwner(lead)) return { lead, entries };
  const owner = ownerAtSlot(owners, assigned);
  const named = entries.map((entry) =>
    entry.type === 'stage_changed' && entry.data.to === 'qualified' && entry.data.owner === undefined
      ? { ...entry, data: { ...entry.data, owner: owner.email } }
      : entry,
  );
  return { lead: { ...lead, owner }, entries: named, owner };
}

export const ownerChangeSchema = z.strictObject({ ownerEmail: z.email() });

/**
 * Reassigns a lead to one of the configured owners, recorded as `owner_changed` (from, to, by whom).
 * 400 for a body that names no address, 422 for an address that is no configured owner. A lead
 * already owned by that owner is left as it is (no entry, no email).
 */
export function reassignOwner(
  lead: Lead,
  body: unknown,
  owners: readonly Owner[],
  actor: string,
  now: Date,
): { lead: Lead; entries: HistoryEntry[] } {
  const parsed = ownerChangeSchema.safeParse(body);
  if (!parsed.success) throw new ValidationError('the owner change is invalid', detailsFromIssues(parsed.error.issues));
  const wanted = parsed.data.ownerEmail.toLowerCase();
  const owner = owners.find((candidate) => candidate.email.toLowerCase() === wanted);
  if (!owner) {
    throw new UnprocessableError(
      'unknown_owner',
      `${parsed.data.ownerEmail} is not one of the configured owners (lifecycle configuration "owners")`,
    );
  }
  if (lead.owner?.email.toLowerCase() === wanted) return { lead, entries: [] };
  const at = now.toISOString();
  const entry = historyEntry(lead.leadId, 'owner_changed', actor, now, {
    ...(lead.owner && { from: lead.owner.email }),
    to: owner.email,
    stage: lead.stage,
  });
  return { lead: { ...lead, owner: { name: owner.name, email: owner.email }, updatedAt: at, version: lead.version + 1 }, entries: [entry] };
}

/**
 * The move that hands a nurtured lead to sales: its stored score, made under the active rules,
 * meets their qualify decision. Scores made under other rules wait for their rescore.
 */
export function handoffMove(lead: Lead, rules: ScoringRules): StageMove | undefined {
  if (lead.stage !== 'nurturing' || !lead.score || lead.score.rulesVersion !== rules.version) return undefined;
  if (routingDecision(lead.score, rules) !== 'qualified') return undefined;
  return {
    stage: 'qualified',
    reason: `score ${String(lead.score.total)} (grade ${lead.score.grade}) meets the qualify decision under rules ${rules.version}`,
    currency: 'USD',
  };
}

/**
 * The stored change rescored the lead. The handoff follows a new score only: a lead moved back to
 * nurturing by hand (or recycled when it went cold) is not handed to sales again until its score
 * changes (new engagement, a rescore, a new submission).
 */
export function scoreChanged(before: Lead | undefined, after: Lead): boolean {
  if (!after.score) return false;
  const old = before?.score;
  return !old || old.scoredAt !== after.score.scoredAt || old.total !== after.score.total || old.rulesVersion !== after.score.rulesVersion;
}

/** What a stored lead's workflow is waiting for (the item keys.workflow names). */
export interface WorkflowWait {
  /** Absent while a successor execution has not reached its first wait yet. */
  taskToken?: string;
  stage?: Stage;
  /** `attention`: a parked execution waiting for an operator, never resumed by a move. Absent: `stage`. */
  kind?: 'stage' | 'attention';
}

/**
 * The stage a stored change should resume the lead's waiting workflow at: the lead's new stage,
 * when its stage changed and the workflow waits for a move (not already at the new stage, not
 * parked for an operator).
 */
export function resumeStage(before: Lead | undefined, after: Lead, wait: WorkflowWait | undefined): Stage | undefined {
  if (!before || before.stage === after.stage) return undefined;
  if (!wait?.taskToken || (wait.kind ?? 'stage') !== 'stage' || wait.stage === after.stage) return undefined;
  return after.stage;
}

/**
 * The owner to tell about a stored change: one the lead did not have before. The once-key names
 * this assignment (owner and when the lead got it, its version), so each assignment is told once
 * however often the change is delivered, and a later assignment to the same owner again.
 */
export function ownerToTell(before: Lead | undefined, after: Lead): { owner: Owner; onceKey: string } | undefined {
  if (!after.owner) return undefined;
  if (before?.owner?.email.toLowerCase() === after.owner.email.toLowerCase()) return undefined;
  return { owner: after.owner, onceKey: `owner-assigned:${after.owner.email.toLowerCase()}:${String(after.version)}` };
}

/** The score lines an owner is shown: total, grade, the category figures and every rule that fired. */
export function scoreSummary(lead: Lead): {
  scoreTotal: string;
  grade: string;
  fit: string;
  engagementScore: string;
  scoreLines: string[];
} {
  const score = lead.score;
  if (!score) return { scoreTotal: 'not scored', grade: '-', fit: '-', engagementScore: '-', scoreLines: [] };
  const signed = (points: number) => `${points >= 0 ? '+' : ''}${String(points)}`;
  return {
    scoreTotal: String(score.total),
    grade: score.grade,
    fit: String(score.fit),
    engagementScore: String(score.engagement),
    scoreLines: score.breakdown.map((line) => `${line.category}: ${signed(line.points)} ${line.reason} (${line.ruleId})`),
  };
}
