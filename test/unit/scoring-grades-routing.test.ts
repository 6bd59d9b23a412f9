import { describe, expect, it } from 'vitest';
import { defaultScoringRules, gradeFor, routingDecision, scoreLead } from '../../core/scoring';
import { NOW, leadWith, rulesDoc } from './scoring-fixtures';

/** One enum rule whose answer is the fit, so a test can put the total exactly where it wants. */
function rulesGivingFit(overrides: Record<string, unknown> = {}, extraRules: unknown[] = []) {
  const pointsByValue = Object.fromEntries(
    [0, 0.5, 24.9, 25, 39.9, 40, 49.9, 50, 59.9, 60, 74.9, 75, 100].map((points) => [String(points), points]),
  );
  return rulesDoc([{ id: 'fit', label: 'Fit', kind: 'enum', field: 'customFields.fit', pointsByValue }, ...extraRules], overrides);
}
const leadWithFit = (fit: number, profile = {}) => leadWith(profile, { customFields: { fit: String(fit) } });

describe('grades', () => {
  it.each([
    [100, 'A'],
    [75, 'A'],
    [74.9, 'B'],
    [50, 'B'],
    [49.9, 'C'],
    [25, 'C'],
    [24.9, 'D'],
    [0, 'D'],
  ])('a total of %d is grade %s', (total, grade) => {
    const score = scoreLead(leadWithFit(total), [], rulesGivingFit(), NOW);
    expect(score.total).toBe(total);
    expect(score.grade).toBe(grade);
  });

  it('follows the bands of the rules document', () => {
    expect(gradeFor(60, { A: 90, B: 60, C: 30 })).toBe('B');
    expect(gradeFor(59.9, { A: 90, B: 60, C: 30 })).toBe('C');
  });
});

describe('total', () => {
  it('weighs fit and engagement with the weights of the document', () => {
    const rules = rulesGivingFit({ weights: { fit: 0.5, engagement: 0.5 } }, [
      { id: 'opens', label: 'Opens', kind: 'event', eventType: 'email_open', pointsPerEvent: 25, halfLifeDays: 10, maxPoints: 50 },
    ]);
    const score = scoreLead(leadWithFit(50), [{ type: 'email_open', at: NOW.toISOString() }], rules, NOW);
    expect([score.fit, score.engagement, score.total]).toEqual([50, 25, 37.5]);
    expect(score.weights).toEqual({ fit: 0.5, engagement: 0.5 });
  });

  it('rounds half up as a person would (0.5 * 0.7 = 0.35 -> 0.4)', () => {
    const score = scoreLead(leadWithFit(0.5), [], rulesGivingFit({ weights: { fit: 0.7, engagement: 0.3 } }), NOW);
    expect(score.total).toBe(0.4);
  });
});

describe('routing decision', () => {
  const rules = rulesGivingFit({ routing: { qualify: { minTotal: 60, minFit: 40 } }, weights: { fit: 0.5, engagement: 0.5 } }, [
    { id: 'meetings', label: 'Meetings', kind: 'event', eventType: 'meeting', pointsPerEvent: 100, halfLifeDays: 10, maxPoints: 100 },
    { id: 'student', label: 'Student', kind: 'regex', field: 'profile.jobTitle', pattern: 'student', points: 0, disqualifies: true },
  ]);
  const meeting = { type: 'meeting' as const, at: NOW.toISOString() };
  const decide = (fit: number, profile = {}) => {
    const score = scoreLead(leadWithFit(fit, profile), [meeting], rules, NOW);
    return [score.total, routingDecision(score, rules)];
  };

  it('qualifies at exactly the thresholds and not below', () => {
    expect(decide(40)).toEqual([70, 'qualified']);
    expect(decide(39.9)).toEqual([70, 'nurturing']);
  });

  it('needs the total too', () => {
    const strict = rulesGivingFit({ routing: { qualify: { minTotal: 60, minFit: 40 } } });
    const at = (fit: number) => routingDecision(scoreLead(leadWithFit(fit), [], strict, NOW), strict);
    expect(at(60)).toBe('qualified');
    expect(at(59.9)).toBe('nurturing');
  });

  it('can require engagement', () => {
    const needsEngagement = rulesGivingFit({ routing: { qualify: { minTotal: 0, minEngagement: 10 } } });
    expect(routingDecision(scoreLead(leadWithFit(100), [], needsEngagement, NOW), needsEngagement)).toBe('nurturing');
  });

  it('disqualifies when a disqualifying rule fired, whatever the score', () => {
    expect(decide(100, { jobTitle: 'Student' })).toEqual([100, 'disqualified']);
  });

  it('routes the default rules: competitor and student out, a strong fit in', () => {
    const route = (lead: Parameters<typeof scoreLead>[0]) =>
      routingDecision(scoreLead(lead, [], defaultScoringRules, NOW), defaultScoringRules);
    const strong = {
      jobTitle: 'Head of Sales',
      budget: '> $100k',
      timeline: 'Now',
      industry: 'Software',
      companySize: '51-200',
      country: 'Germany',
    };
    expect(route(leadWith(strong, { email: 'jo@acme.example' }))).toBe('qualified');
    expect(route(leadWith(strong, { email: 'jo@sales.competitor.example' }))).toBe('disqualified');
    expect(route(leadWith({ ...strong, jobTitle: 'MBA student' }))).toBe('disqualified');
    expect(route(leadWith({ ...strong, budget: '< $5k', timeline: 'Just researching' }))).toBe('nurturing');
  });
});
