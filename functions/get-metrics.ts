import * as z from 'zod';
import { metricsCsv } from '../core/metrics/csv';
import { dayOfTime } from '../core/metrics/days';
import { parseMetricsQuery } from '../core/metrics/query';
import { metricsReport } from '../core/metrics/report';
import { authorize } from './shared/auth';
import { httpHandler } from './shared/http';
import { readAggregates } from './shared/metrics-repository';

/** The dashboard's origins (comma separated), allowed to read the metrics from a browser. */
const config = z.object({ DASHBOARD_ORIGINS: z.string().default('') }).parse(process.env);
const dashboardOrigins = new Set(
  config.DASHBOARD_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
    .map((origin) => new URL(origin).origin),
);

/**
 * GET (and OPTIONS) /v1/metrics?from&to&groupBy (metrics:read): the KPIs of a range from the daily
 * aggregates, as JSON, or as CSV for `Accept: text/csv`.
 */
export const handler = httpHandler(async (request) => {
  Object.assign(request.responseHeaders, corsHeaders(request.headers.origin));
  if (request.method === 'OPTIONS') return { status: 204 };

  await authorize(request, 'metrics:read');
  const query = parseMetricsQuery(request.query, dayOfTime(new Date()));
  const report = metricsReport(query, await readAggregates(query.from, query.to));
  if (!prefersCsv(request.headers.accept)) return { status: 200, json: report };
  return {
    status: 200,
    text: metricsCsv(report),
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="leadflow-metrics-${query.from}-to-${query.to}-by-${query.groupBy}.csv"`,
    },
  };
});

function corsHeaders(origin: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { vary: 'Origin' };
  if (origin && dashboardOrigins.has(origin)) {
    headers['access-control-allow-origin'] = origin;
    headers['access-control-allow-methods'] = 'GET, OPTIONS';
    headers['access-control-allow-headers'] = 'authorization, accept';
    // The dashboard names the downloaded file after the server's filename.
    headers['access-control-expose-headers'] = 'content-disposition';
    headers['access-control-max-age'] = '600';
  }
  return headers;
}

/** CSV when the client ranks text/csv above JSON (`Accept: text/csv`); JSON otherwise. */
function prefersCsv(accept: string | undefined): boolean {
  let csv = 0;
  let json = 0;
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = Number(parameters.find((parameter) => parameter.startsWith('q='))?.slice(2) ?? 1);
    const weight = Number.isFinite(q) ? q : 0;
    if (type === 'text/csv') csv = Math.max(csv, weight);
    if (type === 'application/json') json = Math.max(json, weight);
  }
  return csv > 0 && csv > json;
}
