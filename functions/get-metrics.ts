import * as z from 'zod';
import { metricsCsv } from '../core/metrics/csv';
import { dayOfTime } from '../core/metrics/days';
import { parseMetricsQuery } from '../core/metrics/query';
import { metricsReport } from '../core/metrics/report';
import { apiKeyWith } from './shared/auth';
import { httpHandler } from './shared/http';
import { negotiate } from './shared/negotiation';
import { readAggregates } from './shared/metrics-repository';

/** The dashboard's origins (comma separated), allowed to read the metrics from a browser. */
const config = z.object({ DASHBOARD_ORIGINS: z.string().default('') }).parse(process.env);
const dashboardOrigins = config.DASHBOARD_ORIGINS.split(',')
  .map((origin) => origin.trim())
  .filter(Boolean)
  .map((origin) => new URL(origin).origin);

const CSV = 'text/csv';

/**
 * GET (and OPTIONS) /v1/metrics?from&to&groupBy (metrics:read): the KPIs of a range from the daily
 * aggregates, as JSON, or as CSV when the client prefers `text/csv`.
 */
export const handler = httpHandler(
  async (request) => {
    if (request.method === 'OPTIONS') return { status: 204 };
    const query = parseMetricsQuery(request.query, dayOfTime(new Date()));
    const report = metricsReport(query, await readAggregates(query.from, query.to));
    if (request.preferredMediaType !== CSV) return { status: 200, json: report };
    return {
      status: 200,
      text: metricsCsv(report),
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="leadflow-metrics-${query.from}-to-${query.to}-by-${query.groupBy}.csv"`,
      },
    };
  },
  {
    auth: apiKeyWith('metrics:read'),
    cors: {
      origins: dashboardOrigins,
      methods: 'GET, OPTIONS',
      headers: 'authorization, accept',
      // The dashboard names the downloaded file after the server's filename.
      exposeHeaders: 'content-disposition',
    },
    negotiation: negotiate(['application/json', CSV]),
  },
);
