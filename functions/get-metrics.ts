import { metricsCsv } from '../core/metrics/csv';
import { dayOfTime } from '../core/metrics/days';
import { parseMetricsQuery } from '../core/metrics/query';
import { metricsReport } from '../core/metrics/report';
import { httpHandler } from './shared/http';
import { negotiate } from './shared/negotiation';
import { readAggregates } from './shared/metrics-repository';

const CSV = 'text/csv';

/**
 * GET /v1/metrics?from&to&groupBy (metrics:read): the KPIs of a range from the daily aggregates, as
 * JSON, or as CSV when the client prefers `text/csv`. The dashboard's CORS is the gateway's.
 */
export const handler = httpHandler(
  async (request) => {
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
  { negotiation: negotiate(['application/json', CSV]) },
);
