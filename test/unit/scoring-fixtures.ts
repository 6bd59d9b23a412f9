import type { Profile } from '../../core/profile';
import { parseScoringRules, type ScorableLead, type ScoringRules } from '../../core/scoring';

/** Shared by the scoring tests: one fixed clock, small rules documents and leads. */
export const NOW = new Date('2026-11-26T12:00:00.000Z');
const MS_PER_DAY = 86_400_000;

export function daysAgo(days: number): string {
  return new Date(NOW.getTime() - days * MS_PER_DAY).toISOString();
}

/** A valid rules document around `rules`; fit counts fully unless the weights are overridden. */
export function rulesDoc(rules: unknown[], overrides: Record<string, unknown> = {}): ScoringRules {
  return parseScoringRules({
    version: 'test-1',
    weights: { fit: 1, engagement: 0 },
    grades: { A: 75, B: 50, C: 25 },
    routing: { qualify: { minTotal: 60, minFit: 40 } },
    rules,
    ...overrides,
  });
}

export function leadWith(profile: Profile = {}, extra: Partial<ScorableLead> = {}): ScorableLead {
  return { email: 'pat@acme.example', profile, customFields: {}, source: 'test', ...extra };
}
