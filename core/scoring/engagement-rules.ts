import { ageInDays, decayFactor } from './decay';
import type { EngagementEvent, EngagementEventType } from './events';
import { formatPoints, toTenths } from './points';
import { REGEX_FLAGS, type EventRule } from './rules-schema';

/**
 * Decayed contributions are summed as whole micro-points: integer addition is exact, so the
 * score does not depend on the order events arrive in, and rounding happens once per rule.
 */
const MICRO_PER_POINT = 1_000_000;

interface CompiledEventRule {
  rule: EventRule;
  where?: { property: string; pattern: RegExp };
}

interface EventRuleTally {
  events: number;
  decayedMicro: number;
}

export interface EngagementLine {
  rule: EventRule;
  tenths: number;
  reason: string;
}

export type EngagementScorer = (events: readonly EngagementEvent[], now: Date) => EngagementLine[];

/** Indexes the event rules by event type once per rules document. */
export function compileEventRules(rules: readonly EventRule[]): EngagementScorer {
  const rulesByType = new Map<EngagementEventType, CompiledEventRule[]>();
  for (const rule of rules) {
    const compiled: CompiledEventRule = rule.where
      ? { rule, where: { property: rule.where.property, pattern: new RegExp(rule.where.matches, REGEX_FLAGS) } }
      : { rule };
    const sameType = rulesByType.get(rule.eventType) ?? [];
    sameType.push(compiled);
    rulesByType.set(rule.eventType, sameType);
  }

  return (events, now) => {
    const tallies = new Map<EventRule, EventRuleTally>();
    for (const event of events) {
      const candidates = rulesByType.get(event.type);
      if (!candidates) continue;
      const age = ageInDays(event.at, now);
      if (age === undefined) continue;
      for (const { rule, where } of candidates) {
        if (where && !propertyMatches(event, where.property, where.pattern)) continue;
        const tally = tallies.get(rule) ?? { events: 0, decayedMicro: 0 };
        tally.events += 1;
        tally.decayedMicro += Math.round(rule.pointsPerEvent * MICRO_PER_POINT * decayFactor(age, rule.halfLifeDays));
        tallies.set(rule, tally);
      }
    }
    // Document order, not event order, so the breakdown reads the same way every time.
    const lines: EngagementLine[] = [];
    for (const rule of rules) {
      const tally = tallies.get(rule);
      if (tally) lines.push(lineFor(rule, tally));
    }
    return lines;
  };
}

function propertyMatches(event: EngagementEvent, property: string, pattern: RegExp): boolean {
  const properties = event.properties;
  if (!properties || !Object.hasOwn(properties, property)) return false;
  const value = properties[property];
  if (value === null || value === undefined || typeof value === 'object') return false;
  return pattern.test(String(value));
}

function lineFor(rule: EventRule, tally: EventRuleTally): EngagementLine {
  const capMicro = rule.maxPoints * MICRO_PER_POINT;
  const cappedMicro = Math.max(-capMicro, Math.min(capMicro, tally.decayedMicro));
  const tenths = toTenths(cappedMicro / MICRO_PER_POINT);
  const decayed = formatPoints(tally.decayedMicro / MICRO_PER_POINT);
  const what = `${tally.events} × ${rule.eventType}${rule.where ? ` where ${rule.where.property} matches ${JSON.stringify(rule.where.matches)}` : ''}`;
  const capNote = cappedMicro === tally.decayedMicro ? '' : `, capped at ${formatPoints(rule.maxPoints)}`;
  return {
    rule,
    tenths,
    reason: `${rule.label}: ${what} at ${formatPoints(rule.pointsPerEvent)} points each, ${decayed} after ${rule.halfLifeDays}-day half-life decay${capNote}`,
  };
}
