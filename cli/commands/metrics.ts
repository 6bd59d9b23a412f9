import type { Kpis } from '../../core/metrics/kpis';
import type { MetricsReport } from '../../core/metrics/report';
import { type CommandGroup, stringOption } from '../command';
import { UsageError } from '../errors';
import { percent, table } from '../format';

const GROUP_BYS = ['day', 'source', 'owner', 'campaign', 'utm_campaign'];

export const metrics: CommandGroup = {
  name: 'metrics',
  summary: 'The funnel KPIs of a range of days.',
  command: {
    summary: 'The funnel KPIs of a range of days: a table (a row per group, then the total), or CSV.',
    details: ["--csv prints the API's own CSV (every KPI column, deal values per currency): leadflow metrics --csv > metrics.csv"],
    options: {
      from: { type: 'string', value: 'YYYY-MM-DD', description: 'first day (default: 29 days before --to)' },
      to: { type: 'string', value: 'YYYY-MM-DD', description: 'last day (default: today, UTC)' },
      'group-by': { type: 'string', value: 'X', description: `${GROUP_BYS.join(', ')} (default day)` },
      csv: { type: 'boolean', description: 'CSV instead of the table' },
    },
    async run(invocation) {
      const groupBy = stringOption(invocation, 'group-by');
      if (groupBy !== undefined && !GROUP_BYS.includes(groupBy)) {
        throw new UsageError(`--group-by must be one of ${GROUP_BYS.join(', ')}, not ${JSON.stringify(groupBy)}`);
      }
      if (invocation.values.csv === true && invocation.json) throw new UsageError('metrics takes --csv or --json, not both');
      const query = { from: stringOption(invocation, 'from'), to: stringOption(invocation, 'to'), groupBy };
      if (invocation.values.csv === true) {
        const { text } = await invocation.api().get('/v1/metrics', { query, accept: 'text/csv' });
        invocation.context.stdout.write(text);
        return;
      }
      const { json: report } = await invocation.api().get<MetricsReport>('/v1/metrics', { query });
      invocation.answer(report, () => metricsText(report));
    },
  },
};

export function metricsText(report: MetricsReport): string {
  const row = (group: string, kpis: Kpis) => [
    group,
    kpis.leads,
    kpis.qualified,
    percent(kpis.qualificationRate),
    kpis.won,
    kpis.lost,
    percent(kpis.winRate),
    Object.entries(kpis.deals)
      .map(([currency, deal]) => `${currency} ${deal.value} (${deal.count})`)
      .join(', '),
    kpis.salesCycleDays.median,
    kpis.email.sent,
    percent(kpis.email.openRate),
    percent(kpis.email.clickRate),
  ];
  const headers = [
    report.groupBy.toUpperCase(),
    'LEADS',
    'QUALIFIED',
    'QUAL%',
    'WON',
    'LOST',
    'WIN%',
    'DEALS',
    'CYCLE(d)',
    'SENT',
    'OPEN%',
    'CLICK%',
  ];
  const lines = [
    `${report.from} to ${report.to} (${report.days} days), by ${report.groupBy}`,
    '',
    table(headers, [...report.groups.map(({ group, kpis }) => row(group, kpis)), row('total', report.totals)]).trimEnd(),
  ];
  if (report.weakestStage) {
    const { stage, conversion, explanation } = report.weakestStage;
    lines.push('', `weakest stage: ${stage} (${percent(conversion) ?? '-'} convert): ${explanation}`);
  }
  return `${lines.join('\n')}\n`;
}
