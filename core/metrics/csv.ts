import { funnelStages } from '../stage-machine';
import type { FunnelStage, Kpis } from './kpis';
import type { MetricsReport } from './report';

type Cell = string | number | null;

/** The CSV's columns after the group, in a fixed order: a spreadsheet built on it keeps working. */
const columns: Array<[header: string, value: (kpis: Kpis) => Cell]> = [
  ['leads', (k) => k.leads],
  ['qualified', (k) => k.qualified],
  ['qualification_rate', (k) => k.qualificationRate],
  ...funnelStages.map((stage): [string, (k: Kpis) => Cell] => [`reached_${stage}`, (k) => funnelRow(k, stage).reached]),
  ...funnelStages
    .filter((stage) => stage !== 'won')
    .map((stage): [string, (k: Kpis) => Cell] => [`conversion_${stage}`, (k) => funnelRow(k, stage).conversion]),
  ...funnelStages
    .filter((stage) => stage !== 'won')
    .map((stage): [string, (k: Kpis) => Cell] => [`avg_days_in_${stage}`, (k) => k.averageDaysInStage[stage]]),
  ['won', (k) => k.won],
  ['lost', (k) => k.lost],
  ['win_rate', (k) => k.winRate],
  ['deals', (k) => Object.values(k.deals).reduce((sum, deal) => sum + deal.count, 0)],
  ['cycle_mean_days', (k) => k.salesCycleDays.mean],
  ['cycle_median_days', (k) => k.salesCycleDays.median],
  ['emails_sent', (k) => k.email.sent],
  ['email_delivery_rate', (k) => k.email.deliveryRate],
  ['email_open_rate', (k) => k.email.openRate],
  ['email_click_rate', (k) => k.email.clickRate],
  ['email_bounce_rate', (k) => k.email.bounceRate],
  ['email_unsubscribe_rate', (k) => k.email.unsubscribeRate],
  ['email_complaint_rate', (k) => k.email.complaintRate],
];

/**
 * Deal values, one column set per currency of the report (in code order) after the fixed columns:
 * `deals_<CUR>`, `deal_value_total_<CUR>`, `deal_value_average_<CUR>`. Never one sum over currencies.
 */
function dealColumns(report: MetricsReport): Array<[header: string, value: (kpis: Kpis) => Cell]> {
  const currencies = [...new Set(report.groups.flatMap(({ kpis }) => Object.keys(kpis.deals)))].sort();
  return currencies.flatMap((currency): Array<[string, (kpis: Kpis) => Cell]> => [
    [`deals_${currency}`, (k) => k.deals[currency]?.count ?? 0],
    [`deal_value_total_${currency}`, (k) => k.deals[currency]?.value ?? 0],
    [`deal_value_average_${currency}`, (k) => k.deals[currency]?.average ?? null],
  ]);
}

function funnelRow(kpis: Kpis, stage: FunnelStage) {
  const row = kpis.funnel.find((candidate) => candidate.stage === stage);
  if (!row) throw new Error(`the funnel has no ${stage} row`);
  return row;
}

/**
 * The report's groups as RFC 4180 CSV: a header row, then one row per group (day, source, owner,
 * campaign or UTM campaign); CRLF line ends; empty cells for rates with no denominator.
 */
export function metricsCsv(report: MetricsReport): string {
  const all = [...columns, ...dealColumns(report)];
  const rows: Cell[][] = [[report.groupBy, ...all.map(([header]) => header)]];
  for (const { group, kpis } of report.groups) rows.push([group, ...all.map(([, value]) => value(kpis))]);
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/**
 * One field: numbers with at most 4 decimals; text quoted when it holds a comma, quote or line
 * break (quotes doubled). Text a spreadsheet would run as a formula (sources and campaigns come
 * from UTM parameters anyone can set) gets a leading apostrophe.
 */
export function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)));
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
