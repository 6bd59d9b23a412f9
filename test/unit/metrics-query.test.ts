import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors';
import { parseMetricsQuery } from '../../core/metrics/query';

const today = '2026-03-15';

function rejection(query: Record<string, string>): ValidationError {
  try {
    parseMetricsQuery(query, today);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('the query was accepted');
}

describe('metrics query', () => {
  it('takes a range and a grouping', () => {
    expect(parseMetricsQuery({ from: '2026-01-01', to: '2026-01-31', groupBy: 'owner' }, today)).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
      groupBy: 'owner',
    });
  });

  it('defaults to the last 30 days to today, by day', () => {
    expect(parseMetricsQuery({}, today)).toEqual({ from: '2026-02-14', to: '2026-03-15', groupBy: 'day' });
    expect(parseMetricsQuery({ to: '2026-01-30' }, today)).toEqual({ from: '2026-01-01', to: '2026-01-30', groupBy: 'day' });
  });

  it('accepts a year (366 days, a leap year) and one day', () => {
    expect(parseMetricsQuery({ from: '2024-01-01', to: '2024-12-31' }, today).from).toBe('2024-01-01');
    expect(parseMetricsQuery({ from: '2026-03-01', to: '2026-03-01' }, today).to).toBe('2026-03-01');
  });

  it('says which date is malformed', () => {
    const error = rejection({ from: '2026-3-1', to: '2026-02-30' });
    expect(error.details).toEqual([
      { path: 'from', message: expect.stringMatching(/YYYY-MM-DD.*2026-3-1/) },
      { path: 'to', message: expect.stringMatching(/YYYY-MM-DD.*2026-02-30/) },
    ]);
  });

  it('says when from is after to', () => {
    const error = rejection({ from: '2026-03-10', to: '2026-03-01' });
    expect(error.message).toMatch(/from is after to/);
    expect(error.details[0]!.path).toBe('from');
  });

  it('says when the range is longer than 366 days', () => {
    const error = rejection({ from: '2025-01-01', to: '2026-01-02' });
    expect(error.message).toMatch(/367 days, at most 366/);
  });

  it('says which groupings exist', () => {
    const error = rejection({ groupBy: 'week' });
    expect(error.details).toEqual([{ path: 'groupBy', message: 'must be one of day, source, owner, campaign, utm_campaign (got "week")' }]);
  });

  it('groups by marketing campaign or by UTM campaign', () => {
    for (const groupBy of ['campaign', 'utm_campaign']) {
      expect(parseMetricsQuery({ from: '2026-01-01', to: '2026-01-31', groupBy }, today).groupBy).toBe(groupBy);
    }
  });
});
