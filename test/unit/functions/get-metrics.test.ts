import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/get-metrics';
import { httpEvent, lambdaContext } from './events';

const dynamo = mockClient(DynamoDBDocumentClient);

/** Keys, scopes and the dashboard's CORS are the gateway's: the function gets the admitted caller. */
function get(query: Record<string, string>, headers: Record<string, string> = {}) {
  return handler(httpEvent('GET /v1/metrics', { query, headers, caller: { name: 'analyst', scopes: ['metrics:read'] } }), lambdaContext());
}

function aggregateItem(dimension: string, day: string, value: string, attributes: Record<string, unknown>) {
  return { pk: `METRICS#DAY#${dimension.toUpperCase()}`, sk: `${day}#${value}`, day, dimension, value, updatedAt: 'x', ...attributes };
}

function givenAggregates(dimension: string, items: Array<Record<string, unknown>>) {
  dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `METRICS#DAY#${dimension}` } }).resolves({ Items: items });
}

function aggregateQueries() {
  return dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
}

beforeEach(() => {
  dynamo.on(GetCommand).resolves({});
  dynamo.on(QueryCommand).resolves({ Items: [] });
  givenAggregates('TOTAL', [
    aggregateItem('total', '2026-03-02', 'all', { leads: 4, moves_new_qualified: 2, moves_new_nurturing: 1, secondsIn_new: 7200 }),
    aggregateItem('total', '2026-03-05', 'all', {
      moves_closing_won: 2,
      moves_closing_lost: 2,
      // Folded before deal values were kept per currency: reported under XXX (no currency), never as one.
      deals: 2,
      dealValue: 5000,
      deals_EUR: 1,
      dealValue_EUR: 800,
      cycleSeconds: [86_400, 3 * 86_400],
    }),
  ]);
  givenAggregates('SOURCE', [
    aggregateItem('source', '2026-03-02', 'google', { leads: 3 }),
    aggregateItem('source', '2026-03-02', 'news, "weekly"', { leads: 1 }),
  ]);
  givenAggregates('OWNER', [
    aggregateItem('owner', '2026-03-05', 'sam@example.com', {
      moves_closing_won: 2,
      moves_closing_lost: 2,
      cycleSeconds: [86_400, 3 * 86_400],
    }),
  ]);
});

afterEach(() => {
  dynamo.reset();
});

describe('get-metrics', () => {
  it('answers the KPIs of a range as JSON from the daily aggregates', async () => {
    const result = await get({ from: '2026-03-01', to: '2026-03-07' }, {});

    expect(result.statusCode).toBe(200);
    expect(result.headers!['content-type']).toMatch(/^application\/json/);
    const report = JSON.parse(result.body!);
    expect(report).toMatchObject({
      from: '2026-03-01',
      to: '2026-03-07',
      days: 7,
      groupBy: 'day',
      totals: {
        leads: 4,
        qualified: 2,
        qualificationRate: 0.5,
        won: 2,
        lost: 2,
        winRate: 0.5,
        deals: { EUR: { count: 1, value: 800, average: 800 }, XXX: { count: 2, value: 5000, average: 2500 } },
        salesCycleDays: { deals: 2, mean: 2, median: 2 },
      },
      weakestStage: { stage: 'closing', conversion: 0.5 },
      leadsBySource: [
        { source: 'google', leads: 3 },
        { source: 'news, "weekly"', leads: 1 },
      ],
      owners: [{ owner: 'sam@example.com', won: 2, lost: 2, winRate: 0.5 }],
    });
    expect(report.groups).toHaveLength(7);
    // One sort-key range per dimension, nothing else.
    expect(
      aggregateQueries().map((q) => [
        q.ExpressionAttributeValues![':pk'],
        q.ExpressionAttributeValues![':low'],
        q.ExpressionAttributeValues![':high'],
      ]),
    ).toEqual([
      ['METRICS#DAY#TOTAL', '2026-03-01#', '2026-03-07#\uffff'],
      ['METRICS#DAY#SOURCE', '2026-03-01#', '2026-03-07#\uffff'],
      ['METRICS#DAY#CAMPAIGN', '2026-03-01#', '2026-03-07#\uffff'],
      ['METRICS#DAY#OWNER', '2026-03-01#', '2026-03-07#\uffff'],
      ['METRICS#DAY#MARKETINGCAMPAIGN', '2026-03-01#', '2026-03-07#\uffff'],
    ]);
  });

  it('answers a year with a read per page of aggregates, following pages', async () => {
    dynamo
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'METRICS#DAY#TOTAL' } })
      .resolvesOnce({
        Items: [aggregateItem('total', '2025-06-01', 'all', { leads: 1 })],
        LastEvaluatedKey: { pk: 'METRICS#DAY#TOTAL', sk: '2025-06-01#all' },
      })
      .resolves({ Items: [aggregateItem('total', '2026-01-01', 'all', { leads: 2 })] });

    const result = await get({ from: '2025-03-08', to: '2026-03-07' }, {});

    expect(JSON.parse(result.body!).totals.leads).toBe(3);
    expect(aggregateQueries()).toHaveLength(6);
    expect(aggregateQueries().filter((q) => q.ExclusiveStartKey)).toEqual([
      expect.objectContaining({ ExclusiveStartKey: { pk: 'METRICS#DAY#TOTAL', sk: '2025-06-01#all' } }),
    ]);
  });

  it('answers CSV for Accept: text/csv, as a named attachment', async () => {
    const result = await get({ from: '2026-03-01', to: '2026-03-07', groupBy: 'source' }, { accept: 'text/csv' });

    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="leadflow-metrics-2026-03-01-to-2026-03-07-by-source.csv"',
    });
    const lines = result.body!.split('\r\n');
    expect(lines[0]).toMatch(/^source,leads,qualified,/);
    expect(lines[1]).toMatch(/^google,3,/);
    expect(lines[2]).toMatch(/^"news, ""weekly""",1,/);
  });

  it('prefers JSON unless CSV ranks higher', async () => {
    const headers = (accept: string) => ({ accept });
    expect((await get({}, headers('application/json, text/csv;q=0.5'))).headers!['content-type']).toMatch(/json/);
    expect((await get({}, headers('text/csv;q=0.9, application/json;q=0.1'))).headers!['content-type']).toMatch(/csv/);
    expect((await get({}, headers('*/*'))).headers!['content-type']).toMatch(/json/);
  });

  it.each([
    [{ from: '2026-3-1' }, /YYYY-MM-DD/],
    [{ from: '2026-03-10', to: '2026-03-01' }, /from is after to/],
    [{ from: '2025-01-01', to: '2026-03-01' }, /at most 366/],
    [{ groupBy: 'week' }, /day, source, owner/],
  ])('answers 400 saying why for %j, reading nothing', async (query, why) => {
    const result = await get(query, {});
    expect(result.statusCode).toBe(400);
    expect(result.body).toMatch(why);
    expect(aggregateQueries()).toHaveLength(0);
  });
});
