import { describe, expect, it } from 'vitest';
import { defaultScoringRules, scoreLead } from '../../core/scoring';
import { NOW, leadWith } from './scoring-fixtures';

const firedBy = (profile: Parameters<typeof leadWith>[0], email = 'pat@acme.example') =>
  Object.fromEntries(
    scoreLead(leadWith(profile, { email }), [], defaultScoringRules, NOW).breakdown.map((line) => [line.ruleId, line.points]),
  );

describe('default rules', () => {
  it.each([
    ['CEO', 'authority-executive', 20],
    ['Chief Revenue Officer', 'authority-executive', 20],
    ['SVP Sales', 'authority-executive', 20],
    ['Vice-President, Marketing', 'authority-executive', 20],
    ['Head of RevOps', 'authority-executive', 20],
    ['Co-founder', 'authority-executive', 20],
    ['Sales Manager', 'authority-manager', 10],
    ['Principal Engineer', 'authority-manager', 10],
    ['Marketing Intern', 'authority-junior', -10],
    ['Junior analyst', 'authority-junior', -10],
    ['Computer science student', 'student', -40],
  ])('reads job title %j as %s (%d)', (jobTitle, ruleId, points) => {
    const fired = firedBy({ jobTitle });
    expect(fired[ruleId]).toBe(points);
    // Only the one authority rule fires; a negative one also brings the floor:fit line.
    expect(Object.keys(fired).filter((id) => !id.startsWith('floor:'))).toEqual([ruleId]);
  });

  it('gives a title one authority tier only, the highest', () => {
    expect(firedBy({ jobTitle: 'Director of Student Success' })).toEqual({ 'authority-executive': 20 });
    expect(firedBy({ jobTitle: 'Headhunter' })).toEqual({});
  });

  it('takes points off personal, disposable and competitor addresses', () => {
    expect(firedBy({}, 'pat@Gmail.com')).toEqual({ 'free-mail': -15, 'floor:fit': 15 });
    expect(firedBy({ budget: '> $100k' }, 'pat@hotmail.co.uk')).toEqual({ budget: 25, 'free-mail': -15 });
    expect(firedBy({ budget: '> $100k' }, 'pat@mailinator.com')).toEqual({ budget: 25, 'disposable-email': -30, 'floor:fit': 5 });
    expect(firedBy({ budget: '> $100k' }, 'pat@competitor.example')).toEqual({ budget: 25, competitor: -50, 'floor:fit': 25 });
  });

  it('scores need from the message and penalises non-buying inquiries', () => {
    expect(firedBy({ message: 'We need CRM integration and forecasting dashboards' })).toEqual({ need: 15 });
    expect(firedBy({ message: 'Is there an internship? It is for my thesis on pipeline tools' })).toEqual({
      need: 5,
      'not-a-buyer': -30,
      'floor:fit': 25,
    });
  });

  it('scores the landing page answers', () => {
    expect(firedBy({ budget: '$5k-$25k', timeline: 'This year', companySize: '11-50', industry: 'Healthcare', country: 'uk' })).toEqual({
      budget: 10,
      timeline: 6,
      'icp-industry-adjacent': 5,
      'icp-company-size': 5,
      'icp-country': 5,
    });
    expect(firedBy({ industry: 'Other', companySize: '1-10', country: 'Narnia' })).toEqual({ 'icp-company-size': 0 });
  });

  it('gives an empty lead nothing', () => {
    const score = scoreLead({ email: '', profile: {} }, [], defaultScoringRules, NOW);
    expect(score).toMatchObject({ fit: 0, engagement: 0, total: 0, grade: 'D', breakdown: [] });
  });
});
