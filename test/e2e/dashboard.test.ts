import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mkdirSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { historyEntry } from '../../core/history';
import { useBrowser } from './browser';
import { addDays, dayOfTime } from '../../core/metrics/days';
import {
  admin,
  adminKey,
  aggregateNow,
  apiUrl,
  captureLead,
  captureTouches,
  documents,
  eventually,
  json,
  uniqueEmail,
  qualifiedLead as sharedQualifiedLead,
} from '../integration/helpers';

/**
 * The metrics dashboard (served by the local cloud at /dashboard, same origin as the API) in
 * headless Chromium: a user pastes a key, picks a range covering today, and the page shows what
 * GET /v1/metrics answers for that range. The test seeds its own leads (it does not rely on the
 * order files run in) and compares the figures as displayed with the API's, formatted the way a
 * reader sees them.
 */

const run = randomBytes(4).toString('hex');
const SOURCE = `dashboard-${run}`;
const today = dayOfTime(new Date());
const FROM = addDays(today, -6);
const TO = today;

const browser = useBrowser();

// The dashboard's display formats, restated: a figure shown differently from these is a finding.
const show = {
  count: (n: number) => n.toLocaleString('en-US'),
  percent: (r: number | null) => (r === null ? '—' : (r * 100).toFixed(1).replace(/\.0$/, '') + '%'),
  money: (v: number | null) => (v === null ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: 0 })),
  days: (d: number | null) => (d === null ? '—' : (d < 10 ? d.toFixed(1) : Math.round(d).toString()) + ' days'),
};

/** A lead the default rules qualify (as in lifecycle.test.ts). */
function qualifiedLead(email: string, firstName: string) {
  return { ...sharedQualifiedLead(email, firstName), utm_source: SOURCE };
}

async function capture(body: Record<string, unknown>): Promise<string> {
  return (await captureLead('default', body)).leadId;
}

async function routedTo(leadId: string): Promise<string> {
  return eventually('routing', async () => {
    const { stage } = await json(admin('GET', `/v1/leads/${leadId}`));
    return stage && stage !== 'new' ? (stage as string) : undefined;
  });
}

async function move(leadId: string, body: Record<string, unknown>): Promise<void> {
  const response = await admin('POST', `/v1/leads/${leadId}/stage`, body);
  expect(response.status, JSON.stringify(await response.clone().json())).toBe(200);
}

/**
 * Runs aggregation jobs until the watermark has passed everything written before this call (the
 * aggregator folds only events older than its consistency lag).
 */
async function foldAll(): Promise<void> {
  const writtenBefore = new Date(Date.now() + 1).toISOString();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const job = await aggregateNow();
    expect(job.status).toBe('succeeded');
    if (job.watermark! >= writtenBefore) return;
    if (Date.now() > deadline) throw new Error(`the aggregator did not pass ${writtenBefore}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function metrics(groupBy: 'day' | 'campaign' = 'day') {
  const query = new URLSearchParams({ from: FROM, to: TO, groupBy }).toString();
  const response = await fetch(`${apiUrl()}/v1/metrics?${query}`, {
    headers: { authorization: `Bearer ${adminKey()}`, accept: 'application/json' },
  });
  expect(response.status).toBe(200);
  return json(response);
}

/**
 * The browser's `document`, for the functions `page.evaluate` runs in the page (the project
 * compiles without the DOM library; these functions are serialized and run in Chromium).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's DOM, which the project compiles without: it exists only in Chromium
type Node = any;
declare const document: Node;
declare function getComputedStyle(node: Node): { color: string };

interface View {
  status: string;
  state: string;
  tiles: Record<string, { value: string; hint: string }>;
  funnel: Array<{ stage: string; label: string; count: string; conversion: string; weakest: boolean }>;
  weakest: { stage: string; conversion: string; explanation: string } | null;
  sources: string[][];
  owners: string[][];
  campaigns: string[][];
  trend: string;
  trendPoints: number[];
}

/** Everything the page shows, as text, read from the DOM. */
async function displayed(page: Page): Promise<View> {
  return page.evaluate(() => {
    const text = (selector: string, root: Node = document) => root.querySelector(selector)?.textContent?.trim() ?? '';
    const all = (selector: string, root: Node = document): Node[] => [...root.querySelectorAll(selector)];
    const tiles = Object.fromEntries(
      all('.tile').map((tile) => [tile.dataset.kpi, { value: text('.value', tile), hint: text('.hint', tile) }]),
    );
    const funnel = all('#funnel .row').map((row) => ({
      stage: row.dataset.stage,
      label: text('.stage', row),
      count: text('.count', row),
      conversion: text('.conversion', row),
      weakest: row.classList.contains('weakest'),
    }));
    const table = (id: string) => all(`#${id} tbody tr`).map((tr) => all('td', tr).map((td) => td.textContent?.trim() ?? ''));
    const weakest = document.getElementById('weakest');
    return {
      status: text('#status'),
      state: document.body.dataset.state,
      tiles,
      funnel,
      weakest: weakest.hidden
        ? null
        : { stage: text('#weakest-stage'), conversion: text('#weakest-conversion'), explanation: text('#weakest-explanation') },
      sources: table('sources'),
      owners: table('owners'),
      campaigns: table('campaigns'),
      trend: document.getElementById('trend').getAttribute('aria-label'),
      trendPoints: all('#trend polyline').map((line) => (line.getAttribute('points') ?? '').split(' ').length),
    };
  });
}

/** What the page should show for a report, built from the API's JSON with the formats above. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON, read as loosely as json() reads every answer (eslint.config.js)
function expectedView(report: any, byCampaign: any) {
  const t = report.totals;
  const deals = t.deals as Record<string, { count: number; value: number; average: number }>;
  const currencies = Object.keys(deals).sort((a, b) => deals[b]!.count - deals[a]!.count || (a < b ? -1 : 1));
  return {
    status: `Showing ${report.from} to ${report.to} (${report.days} days).`,
    state: 'loaded',
    tiles: {
      leads: { value: show.count(t.leads), hint: 'captured in the range' },
      'qualification-rate': { value: show.percent(t.qualificationRate), hint: 'qualified per lead' },
      'win-rate': { value: show.percent(t.winRate), hint: `${t.won} won, ${t.lost} lost` },
      // Per currency, the one with the most deals first: never one average across currencies.
      'average-deal': currencies.length
        ? {
            value: `${show.money(deals[currencies[0]!]!.average)} ${currencies[0]!}`,
            hint: currencies
              .map(
                (c) => `${c}: ${deals[c]!.count} deals, ${show.money(deals[c]!.value)} in total, ${show.money(deals[c]!.average)} average`,
              )
              .join('; '),
          }
        : { value: '—', hint: 'no deals with a value' },
      'median-cycle': { value: show.days(t.salesCycleDays.median), hint: `mean ${show.days(t.salesCycleDays.mean)}` },
      'open-rate': { value: show.percent(t.email.openRate), hint: `${show.count(t.email.sent)} emails sent` },
    },
    funnel: t.funnel.map((row: { stage: string; reached: number; conversion: number | null }) => ({
      stage: row.stage,
      label: row.stage,
      count: show.count(row.reached),
      conversion: row.stage === 'won' ? '' : show.percent(row.conversion),
      weakest: report.weakestStage?.stage === row.stage,
    })),
    weakest: report.weakestStage && {
      stage: report.weakestStage.stage,
      conversion: `(${show.percent(report.weakestStage.conversion)} move on)`,
      explanation: report.weakestStage.explanation,
    },
    sources: report.leadsBySource.length
      ? report.leadsBySource.map((row: { source: string; leads: number }) => [row.source, show.count(row.leads)])
      : [['None in this range']],
    owners: report.owners.length
      ? report.owners.map(
          (o: { owner: string; won: number; lost: number; winRate: number | null; salesCycleDays: { median: number | null } }) => [
            o.owner,
            show.count(o.won),
            show.count(o.lost),
            show.percent(o.winRate),
            show.days(o.salesCycleDays.median),
          ],
        )
      : [['None in this range']],
    campaigns: byCampaign.groups.length
      ? byCampaign.groups.map((g: { group: string; kpis: { email: Record<string, number | null> } }) => [
          g.group,
          show.count(g.kpis.email.sent!),
          ...['deliveryRate', 'openRate', 'clickRate', 'bounceRate', 'complaintRate', 'unsubscribeRate'].map((rate) =>
            show.percent(g.kpis.email[rate] ?? null),
          ),
        ])
      : [['None in this range']],
    trend: `Daily leads and won deals: ${sum(report.groups, 'leads')} leads and ${sum(report.groups, 'won')} won over ${report.groups.length} days`,
    trendPoints: [report.groups.length, report.groups.length],
  };
}

function sum(groups: Array<{ kpis: Record<string, number> }>, field: string): number {
  return groups.reduce((total, group) => total + group.kpis[field]!, 0);
}

describe('metrics dashboard in headless Chromium', () => {
  it('shows the KPIs of the metrics API for the chosen range, the weakest stage highlighted', async () => {
    // Seed: two strong leads (both qualify) and a student (disqualified); one deal won.
    const strong = await Promise.all(['Dana', 'Dora'].map((name) => capture(qualifiedLead(uniqueEmail('dashboard'), name))));
    const student = await capture({
      email: `dashboard-student-${randomUUID()}@gmail.com`,
      firstName: 'Stu',
      lastName: 'Dent',
      jobTitle: 'Student',
      utm_source: SOURCE,
    });
    expect(await Promise.all([...strong, student].map(routedTo))).toEqual(['qualified', 'qualified', 'disqualified']);
    await Promise.all([...strong, student].map((leadId) => captureTouches(leadId, 1)));
    await move(strong[0]!, { stage: 'presentation' });
    await move(strong[0]!, { stage: 'closing' });
    await move(strong[0]!, { stage: 'won', dealValue: 12_500 });
    await move(strong[1]!, { stage: 'presentation' });
    // A marketing campaign's emails as the senders and the SES event handler record them: 2 sent, both delivered, 1 opened.
    const campaignId = `cmp_dashboard_${run}`;
    const campaign = { campaignId, step: 1 };
    const now = Date.now();
    const entries = [
      historyEntry(strong[0]!, 'email_sent', 'workflow', new Date(now - 5000), { recipient: 'prospect', marketing: true, ...campaign }),
      historyEntry(strong[1]!, 'email_sent', 'workflow', new Date(now - 4000), { recipient: 'prospect', marketing: true, ...campaign }),
      historyEntry(strong[0]!, 'email_delivered', 'ses', new Date(now - 3000), { messageId: 'm0', ...campaign }),
      historyEntry(strong[1]!, 'email_delivered', 'ses', new Date(now - 2000), { messageId: 'm1', ...campaign }),
      historyEntry(strong[0]!, 'email_opened', 'ses', new Date(now - 1000), { messageId: 'm0', ...campaign }),
    ];
    process.env.TABLE_NAME ??= inject('tableName');
    const { historyItem } = await import('../../functions/shared/leads-repository');
    for (const entry of entries) await documents().send(new PutCommand({ TableName: inject('tableName'), Item: historyItem(entry) }));
    await foldAll();

    const page = await browser.current.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(apiUrl()) && !request.url().startsWith('data:') && !request.url().startsWith('blob:'))
        outside.push(request.url());
    });
    await page.goto(`${apiUrl()}/dashboard`);
    await expect.poll(() => page.textContent('#status')).toContain('Paste an API key');
    expect(await page.textContent('#api-base')).toBe(`API: ${apiUrl()}`);

    // A wrong key first: the page says so.
    await page.fill('#api-key', 'lf_not-a-real-key');
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('body[data-state=error]');
    expect(await page.textContent('#status')).toBe('the API key is not valid');

    // The admin key, pasted and submitted like a user would; then the range, and Show.
    await page.fill('#api-key', adminKey());
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('body[data-state=loaded]');
    expect(await page.inputValue('#api-key')).toBe('');

    // The local cloud folds new events about once a second (other files' follow-up emails keep
    // coming): compare with an API answer that did not change while the page loaded.
    let view: View | undefined;
    let expected: ReturnType<typeof expectedView> | undefined;
    for (let attempt = 1; attempt <= 8 && !view; attempt++) {
      const before = expectedView(await metrics(), await metrics('campaign'));
      await page.fill('#from', FROM);
      await page.fill('#to', TO);
      await Promise.all([
        page.waitForResponse((response) => response.url().includes('/v1/metrics?')),
        page.click('#range-form button[type=submit]'),
      ]);
      await page.waitForSelector('body[data-state=loaded]');
      const shown = await displayed(page);
      const after = expectedView(await metrics(), await metrics('campaign'));
      if (JSON.stringify(before) === JSON.stringify(after)) {
        view = shown;
        expected = after;
      }
    }
    expect(view, 'a stable API answer to compare with').toBeDefined();
    expect(view).toEqual(expected);
    expect(page.url()).toContain(`from=${FROM}&to=${TO}`);

    // What the seed guarantees is on screen whatever else the cloud holds.
    expect(view!.sources).toContainEqual([SOURCE, '3']);
    expect(Number(view!.tiles.leads!.value.replaceAll(',', ''))).toBeGreaterThanOrEqual(3);
    expect(view!.funnel.map((row) => row.stage)).toEqual(['new', 'qualified', 'presentation', 'objection', 'closing', 'won']);
    expect(Number(view!.funnel.at(-1)!.count.replaceAll(',', ''))).toBeGreaterThanOrEqual(1);
    expect(view!.tiles['average-deal']!.value).not.toBe('—');
    expect(view!.tiles['average-deal']!.hint).toMatch(/USD: \d+ deals/);
    // The campaigns view: each campaign's rates per email sent.
    expect(view!.campaigns).toContainEqual([campaignId, '2', '100%', '50%', '0%', '0%', '0%', '0%']);
    // The weakest stage: shown in the callout and as the one highlighted funnel row.
    expect(view!.weakest).not.toBeNull();
    expect(view!.funnel.filter((row) => row.weakest).map((row) => row.stage)).toEqual([view!.weakest!.stage]);
    const highlighted = await page.$eval('#funnel .row.weakest .stage', (node) => getComputedStyle(node).color);
    const plain = await page.$eval('#funnel .row:not(.weakest):not(.won) .stage', (node) => getComputedStyle(node).color);
    expect(highlighted).not.toBe(plain);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true });

    // The CSV button downloads the same range as a file named by the server.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    expect(download.suggestedFilename()).toBe(`leadflow-metrics-${FROM}-to-${TO}-by-day.csv`);
    expect(await page.textContent('#status')).toBe(`Downloaded leadflow-metrics-${FROM}-to-${TO}-by-day.csv.`);
    expect(pageErrors).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  }, 120_000);
});
