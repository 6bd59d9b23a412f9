import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { historyEntry } from '../../core/history';
import { addDays, dayOfTime } from '../../core/metrics/days';
import {
  adminKey,
  apiUrl,
  admin,
  aggregateNow,
  captureTouches,
  documents,
  eventually,
  json,
  postJson,
  uniqueEmail,
  qualifiedLead,
  keyed,
} from './helpers';

/**
 * Funnel metrics end to end in the local cloud: leads with known outcomes are scripted through the
 * real capture, routing workflow and stage moves under a utm_source unique to this run, the
 * aggregator folds their events, and every KPI the API returns for that source is checked against
 * values computed by hand (counts and rates) or from the timestamps the API handed back (times).
 *
 * Other files create leads in the same cloud, and the local cloud runs the aggregation schedule on
 * its own timer (about once a second at this time scale): only this source's group, and deltas of
 * shared groups, are asserted. The time-based KPIs use real elapsed time (stage moves and cycle
 * lengths are wall-clock facts, not workflow time), so they are seconds expressed in days.
 */

const SECONDS_PER_DAY = 86_400;
const run = randomBytes(4).toString('hex');
const SOURCE = `metrics-${run}`;
const CAMPAIGN = `metrics-campaign-${run}`;

// ---------------------------------------------------------------------------------------------
// The scripted funnel. 8 leads, all captured with utm_source=SOURCE, utm_campaign=CAMPAIGN:
//
//   A  strong fit  new -> qualified -> presentation -> objection (price) -> closing -> won 30,000
//   B  strong fit  new -> qualified -> presentation -> closing -> won 10,000
//   C  strong fit  new -> qualified -> presentation -> closing ........(~10 s later)..... -> won 20,000
//   D  strong fit  new -> qualified -> presentation -> lost -> nurturing (the workflow re-nurtures a
//                  lost lead after 90 workflow days = 9 s at this time scale)
//   E  strong fit  new -> qualified -> presentation (stays)
//   F  strong fit  new -> qualified -> lost -> nurturing (re-nurtured, as D)
//   G  strong fit  new -> qualified (stays)
//   H  a student with a gmail address: the default rules' `student` rule disqualifies whatever the
//      score, so routing moves it new -> disqualified
//
// Moves:  new->qualified 7, new->disqualified 1, qualified->presentation 5, qualified->lost 1,
//         presentation->objection 1, presentation->closing 2, presentation->lost 1,
//         objection->closing 1, closing->won 3, lost->nurturing 2
//
// Hand-computed KPIs for the SOURCE group:
//   leads 8; qualified 7 (moves into qualified); qualification rate 7/8 = 0.875
//   funnel (reached / left / advanced = left to a later funnel stage / conversion):
//     new           8 / 8 / 7 (disqualified is not a funnel stage)    7/8  = 0.875
//     qualified     7 / 6 / 5 (lost is not forward)                    5/6  = 0.8333
//     presentation  5 / 4 / 3 (objection, closing x2; lost is not)     3/4  = 0.75
//     objection     1 / 1 / 1                                          1/1  = 1
//     closing       3 / 3 / 3 (B, C from presentation, A from objection) 3/3 = 1
//     won           3 / 0 / 0                                          null
//   weakest stage of the group: presentation (0.75, the lowest conversion)
//   won 3, lost 2, win rate 3/5 = 0.6
//   deals: 3, total 30,000 + 10,000 + 20,000 = 60,000, average 20,000
//   sales cycle (capture to won, per won deal): 3 deals; A and B win a few seconds after capture,
//     C about 10 s later, so median (A or B) < mean. The exact values are the API's own rounding
//     of (won at - createdAt) to whole seconds, over 86,400, computed below from the timestamps.
//   average days in stage = sum of seconds in the stage of the leads that left it / number that
//     left it / 86,400: new over 8 leavers, qualified over 6, presentation over 4, objection over 1,
//     closing over 3, lost over 2 (D and F re-nurtured); nurturing, won, disqualified: null.
//   email: the source dimension carries no email events (they are counted in the day totals
//     only), so all counts 0 and all rates null.
// ---------------------------------------------------------------------------------------------

const EXPECTED_FUNNEL = [
  { stage: 'new', reached: 8, left: 8, advanced: 7, conversion: 7 / 8 },
  { stage: 'qualified', reached: 7, left: 6, advanced: 5, conversion: 5 / 6 },
  { stage: 'presentation', reached: 5, left: 4, advanced: 3, conversion: 3 / 4 },
  { stage: 'objection', reached: 1, left: 1, advanced: 1, conversion: 1 },
  { stage: 'closing', reached: 3, left: 3, advanced: 3, conversion: 1 },
  { stage: 'won', reached: 3, left: 0, advanced: 0, conversion: null },
];

interface Step {
  stage: string;
  at: string;
}

/** One scripted lead: every stage it entered, with the server's timestamps. */
interface Scripted {
  name: string;
  leadId: string;
  createdAt: string;
  owner?: string;
  path: Step[];
  /** This client's clock around the capture request and the win request, to bracket the cycle. */
  capture: { sent: number; answered: number };
  win?: { sent: number; answered: number };
}

type Lead = { stage: string; stageChangedAt: string; createdAt: string; owner?: { email: string }; source: string };

const lead = (leadId: string): Promise<Lead> => json(admin('GET', `/v1/leads/${leadId}`));

async function untilStage(leadId: string, stage: string, timeoutMs = 30_000): Promise<Lead> {
  return eventually(
    `lead ${leadId} in ${stage}`,
    async () => {
      const current = await lead(leadId);
      return current.stage === stage ? current : undefined;
    },
    timeoutMs,
  );
}

async function capture(name: string, body: Record<string, unknown>): Promise<Scripted> {
  const sent = Date.now();
  const response = await postJson('default', { ...body, utm_source: SOURCE, utm_campaign: CAMPAIGN }, keyed());
  const answered = Date.now();
  expect(response.status).toBe(202);
  const { leadId } = await json(response);
  return { name, leadId, createdAt: '', path: [], capture: { sent, answered } };
}

/** Waits until routing moved the lead out of `new`, and records both steps. */
async function routed(scripted: Scripted): Promise<Scripted> {
  const routedLead = await eventually(`routing of ${scripted.name}`, async () => {
    const current = await lead(scripted.leadId);
    return current.stage && current.stage !== 'new' ? current : undefined;
  });
  scripted.createdAt = routedLead.createdAt;
  scripted.owner = routedLead.owner?.email.toLowerCase();
  scripted.path.push({ stage: 'new', at: routedLead.createdAt }, { stage: routedLead.stage, at: routedLead.stageChangedAt });
  return scripted;
}

async function move(scripted: Scripted, body: Record<string, unknown>): Promise<void> {
  const sent = Date.now();
  const response = await admin('POST', `/v1/leads/${scripted.leadId}/stage`, body);
  const answered = Date.now();
  const answer = await json(response);
  expect(response.status, JSON.stringify(answer)).toBe(200);
  expect(answer).toMatchObject({ from: scripted.path.at(-1)!.stage, stage: body.stage });
  scripted.path.push({ stage: String(body.stage), at: answer.at });
  if (body.stage === 'won') scripted.win = { sent, answered };
}

async function renurtured(scripted: Scripted): Promise<void> {
  const current = await untilStage(scripted.leadId, 'nurturing', 40_000);
  scripted.path.push({ stage: 'nurturing', at: current.stageChangedAt });
}

/** One on-demand aggregation job, to its end. */
async function aggregateOnce(): Promise<{ eventsFolded: number; watermark: string }> {
  const job = await aggregateNow();
  expect(job, JSON.stringify(job)).toMatchObject({ status: 'succeeded', eventsFolded: expect.any(Number), watermark: expect.any(String) });
  return { eventsFolded: job.eventsFolded!, watermark: job.watermark! };
}

/**
 * Runs the aggregator on demand until its watermark has passed everything written before this
 * call. The aggregator folds only events older than its consistency lag (a writer stamps an
 * event's position just before the write lands), so this may take a run or two more than one.
 */
async function foldAll(): Promise<{ eventsFolded: number; watermark: string }> {
  const writtenBefore = new Date(Date.now() + 1).toISOString();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await aggregateOnce();
    if (result.watermark >= writtenBefore) return result;
    if (Date.now() > deadline) throw new Error(`the aggregator did not pass ${writtenBefore} (watermark ${result.watermark})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function getMetrics(params: Record<string, string>, options: { key?: string | null; accept?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
  const key = options.key === undefined ? adminKey() : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(`${apiUrl()}/v1/metrics?${new URLSearchParams(params).toString()}`, { headers });
}

async function report(params: Record<string, string>) {
  const response = await getMetrics(params);
  const body = await json(response);
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function sourceGroup(from: string, to: string, source = SOURCE) {
  return (await report({ from, to, groupBy: 'source' })).groups.find((group: { group: string }) => group.group === source);
}

/** What the API's stage-move entries record: whole seconds, rounded, from the two ISO timestamps. */
const secondsBetween = (from: string, to: string) => Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));

/** The time facts of the scripted paths, computed independently of the aggregator. */
function timeFacts(leads: Scripted[]) {
  const secondsIn: Record<string, number> = {};
  const leavers: Record<string, number> = {};
  const cycles: number[] = [];
  for (const scripted of leads) {
    for (let i = 1; i < scripted.path.length; i++) {
      const [previous, next] = [scripted.path[i - 1]!, scripted.path[i]!];
      secondsIn[previous.stage] = (secondsIn[previous.stage] ?? 0) + secondsBetween(previous.at, next.at);
      leavers[previous.stage] = (leavers[previous.stage] ?? 0) + 1;
      if (next.stage === 'won') cycles.push(secondsBetween(scripted.createdAt, next.at));
    }
  }
  return { secondsIn, leavers, cycles: cycles.sort((a, b) => a - b) };
}

const today = dayOfTime(new Date());
// A day either side, so a run across midnight UTC still sees all its events in the range.
const FROM = addDays(today, -1);
const TO = addDays(today, 1);

const leads: Record<string, Scripted> = {};
let ownersBefore: Array<{ owner: string; won: number; lost: number }> = [];

describe('funnel metrics in the local cloud', () => {
  beforeAll(async () => {
    await foldAll();
    ownersBefore = (await report({ from: FROM, to: TO, groupBy: 'owner' })).owners;

    const strong = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];
    const captured = await Promise.all([
      ...strong.map((name) => capture(name, qualifiedLead(uniqueEmail(`metrics-${name.toLowerCase()}`), `Metrics${name}`))),
      capture('H', {
        email: `metrics-student-${randomUUID()}@gmail.com`,
        firstName: 'Sam',
        lastName: 'Student',
        jobTitle: 'Student',
        company: 'State University',
        message: 'Homework for my thesis on sales funnels.',
      }),
    ]);
    await Promise.all(captured.map(routed));
    for (const scripted of captured) leads[scripted.name] = scripted;
    for (const name of strong) expect(leads[name]!.path[1]!.stage, name).toBe('qualified');
    expect(leads.H!.path[1]!.stage).toBe('disqualified');
    // The `captured` entries follow from the table stream: wait for all of them before folding.
    await Promise.all(captured.map((scripted) => captureTouches(scripted.leadId, 1)));

    const { A, B, C, D, E, F } = leads;
    // The lost ones first: their re-nurture timers (9 s) run while the others move.
    await Promise.all([
      move(F!, { stage: 'lost', reason: 'no budget this year' }),
      (async () => {
        await move(D!, { stage: 'presentation' });
        await move(D!, { stage: 'lost', reason: 'chose a competitor' });
      })(),
    ]);
    await Promise.all([
      (async () => {
        await move(A!, { stage: 'presentation' });
        await move(A!, { stage: 'objection', objection: { type: 'price', note: 'over the approved budget' } });
        await move(A!, { stage: 'closing', reason: 'ROI case accepted' });
        await move(A!, { stage: 'won', dealValue: 30_000 });
      })(),
      (async () => {
        await move(B!, { stage: 'presentation' });
        await move(B!, { stage: 'closing' });
        await move(B!, { stage: 'won', dealValue: 10_000 });
      })(),
      (async () => {
        await move(C!, { stage: 'presentation' });
        await move(C!, { stage: 'closing' });
      })(),
      move(E!, { stage: 'presentation' }),
    ]);
    await Promise.all([renurtured(D!), renurtured(F!)]);
    // C wins only now, some 10 s after its capture: a longer cycle than A's and B's.
    await move(C!, { stage: 'won', dealValue: 20_000 });
  }, 120_000);

  it('computes every KPI of the scripted source as computed by hand', async () => {
    const folded = await foldAll();
    expect(folded.watermark).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const body = await report({ from: FROM, to: TO, groupBy: 'source' });
    expect(body).toMatchObject({ from: FROM, to: TO, days: 3, groupBy: 'source' });
    const group = body.groups.find((candidate: { group: string }) => candidate.group === SOURCE);
    expect(group, `a group for ${SOURCE}`).toBeDefined();
    const kpis = group.kpis;

    // Counts and rates: exact.
    expect(kpis.leads).toBe(8);
    expect(kpis.qualified).toBe(7);
    expect(kpis.qualificationRate).toBeCloseTo(0.875, 12);
    expect(kpis.funnel.map((row: { stage: string }) => row.stage)).toEqual(EXPECTED_FUNNEL.map((row) => row.stage));
    EXPECTED_FUNNEL.forEach((expected, i) => {
      const row = kpis.funnel[i];
      expect({ ...row, conversion: null }, expected.stage).toEqual({ ...expected, conversion: null });
      if (expected.conversion === null) expect(row.conversion).toBeNull();
      else expect(row.conversion, expected.stage).toBeCloseTo(expected.conversion, 12);
    });
    expect(kpis.won).toBe(3);
    expect(kpis.lost).toBe(2);
    expect(kpis.winRate).toBeCloseTo(0.6, 12);
    // Stage moves without a currency are USD: one currency, never summed with another.
    expect(kpis.deals).toEqual({ USD: { count: 3, value: 60_000, average: 20_000 } });

    // The weakest stage is given for the range's totals only (not per group); for this group it
    // is presentation, the lowest conversion of the funnel above.
    const conversions = kpis.funnel.filter((row: { conversion: number | null }) => row.conversion !== null);
    const lowest = conversions.reduce((a: { conversion: number }, b: { conversion: number }) => (b.conversion < a.conversion ? b : a));
    expect(lowest.stage).toBe('presentation');
    expect(body.weakestStage === null || typeof body.weakestStage.stage === 'string').toBe(true);

    // Times: from the server's timestamps, rounded to whole seconds as the move entries record them.
    const facts = timeFacts(Object.values(leads));
    expect(facts.leavers).toEqual({ new: 8, qualified: 6, presentation: 4, objection: 1, closing: 3, lost: 2 });
    expect(facts.cycles).toHaveLength(3);
    const cycleDays = facts.cycles.map((seconds) => seconds / SECONDS_PER_DAY);
    expect(kpis.salesCycleDays.deals).toBe(3);
    expect(kpis.salesCycleDays.mean).toBeCloseTo((cycleDays[0]! + cycleDays[1]! + cycleDays[2]!) / 3, 12);
    expect(kpis.salesCycleDays.median).toBeCloseTo(cycleDays[1]!, 12);
    expect(kpis.salesCycleDays.mean).toBeGreaterThan(0);
    // C waited for the re-nurtures (~9 s): its cycle is the longest, so the median (A's or B's) is
    // below the mean.
    const cycleOf = (name: string) => secondsBetween(leads[name]!.createdAt, leads[name]!.path.at(-1)!.at);
    expect(cycleOf('C')).toBe(facts.cycles[2]);
    expect(cycleOf('C')).toBeGreaterThanOrEqual(8);
    expect(kpis.salesCycleDays.median).toBeLessThan(kpis.salesCycleDays.mean);
    // ...and each cycle lies within what this client measured: at least from the capture's answer
    // to the win's request, at most from the capture's request to the win's answer (+-0.5 s rounding).
    for (const name of ['A', 'B', 'C']) {
      const { capture, win } = leads[name]!;
      expect(cycleOf(name), name).toBeGreaterThanOrEqual((win!.sent - capture.answered) / 1000 - 0.5);
      expect(cycleOf(name), name).toBeLessThanOrEqual((win!.answered - capture.sent) / 1000 + 0.5);
    }

    for (const [stage, leavers] of Object.entries(facts.leavers)) {
      expect(kpis.averageDaysInStage[stage], stage).toBeCloseTo(facts.secondsIn[stage]! / leavers / SECONDS_PER_DAY, 12);
    }
    for (const stage of ['nurturing', 'won', 'disqualified']) expect(kpis.averageDaysInStage[stage], stage).toBeNull();
    // The lost leads sat ~9 s (90 workflow days) in lost before the workflow re-nurtured them.
    expect(kpis.averageDaysInStage.lost * SECONDS_PER_DAY).toBeGreaterThanOrEqual(7);
    expect(kpis.averageDaysInStage.presentation).toBeGreaterThanOrEqual(0);

    // Email events carry no source: nothing to rate in a source group.
    expect(kpis.email).toEqual({
      sent: 0,
      delivered: 0,
      opened: 0,
      clicked: 0,
      bounced: 0,
      complained: 0,
      unsubscribed: 0,
      deliveryRate: null,
      openRate: null,
      clickRate: null,
      bounceRate: null,
      complaintRate: null,
      unsubscribeRate: null,
    });

    expect(body.leadsBySource).toContainEqual({ source: SOURCE, leads: 8 });
    expect(body.leadsByCampaign).toContainEqual({ campaign: CAMPAIGN, leads: 8 });
    // Totals include this source's leads (and those of every other file).
    expect(body.totals.leads).toBeGreaterThanOrEqual(8);

    // Per owner: the wins and losses this run added to each owner (no other file moves leads to
    // won or lost while this one runs).
    const expectedDelta = new Map<string, { won: number; lost: number }>();
    for (const [name, outcome] of [
      ['A', 'won'],
      ['B', 'won'],
      ['C', 'won'],
      ['D', 'lost'],
      ['F', 'lost'],
    ] as const) {
      const owner = leads[name]!.owner;
      expect(owner, `${name} has an owner`).toBeDefined();
      const delta = expectedDelta.get(owner!) ?? { won: 0, lost: 0 };
      delta[outcome]++;
      expectedDelta.set(owner!, delta);
    }
    const ownersAfter = (await report({ from: FROM, to: TO, groupBy: 'owner' })).owners as Array<{
      owner: string;
      won: number;
      lost: number;
      winRate: number | null;
    }>;
    for (const [owner, delta] of expectedDelta) {
      const before = ownersBefore.find((row) => row.owner === owner) ?? { won: 0, lost: 0 };
      const after = ownersAfter.find((row) => row.owner === owner);
      expect(after, owner).toBeDefined();
      expect({ won: after!.won - before.won, lost: after!.lost - before.lost }, owner).toEqual(delta);
      expect(after!.winRate).toBeCloseTo(after!.won / (after!.won + after!.lost), 12);
    }
  });

  it('changes nothing when the aggregator runs again over the same events', async () => {
    const folded = await foldAll();
    const first = await report({ from: FROM, to: TO, groupBy: 'source' });
    const mine = (body: { groups: Array<{ group: string }> }) => body.groups.find((group) => group.group === SOURCE);
    expect(mine(first)).toBeDefined();
    // Two more runs, back to back: everything of this file is behind the watermark, so they fold
    // only what other files' workflows wrote meanwhile (follow-up emails), never this source twice.
    for (let rerun = 0; rerun < 2; rerun++) {
      const result = await aggregateOnce();
      expect(result.watermark >= folded.watermark).toBe(true);
    }
    const again = await report({ from: FROM, to: TO, groupBy: 'source' });
    expect(mine(again)).toEqual(mine(first));
    expect(again.leadsBySource.find((row: { source: string }) => row.source === SOURCE)).toEqual({ source: SOURCE, leads: 8 });
    expect(again.leadsByCampaign.find((row: { campaign: string }) => row.campaign === CAMPAIGN)).toEqual({ campaign: CAMPAIGN, leads: 8 });
  });

  it('answers the same figures as CSV with Accept: text/csv', async () => {
    const response = await getMetrics({ from: FROM, to: TO, groupBy: 'source' }, { accept: 'text/csv' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="leadflow-metrics-${FROM}-to-${TO}-by-source.csv"`);
    const text = await response.text();
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = text.split('\r\n').slice(0, -1);
    expect(lines[0]).toMatch(
      'source,leads,qualified,qualification_rate,' +
        'reached_new,reached_qualified,reached_presentation,reached_objection,reached_closing,reached_won,' +
        'conversion_new,conversion_qualified,conversion_presentation,conversion_objection,conversion_closing,' +
        'avg_days_in_new,avg_days_in_qualified,avg_days_in_presentation,avg_days_in_objection,avg_days_in_closing,' +
        'won,lost,win_rate,deals,cycle_mean_days,cycle_median_days,' +
        'emails_sent,email_delivery_rate,email_open_rate,email_click_rate,email_bounce_rate,email_unsubscribe_rate,email_complaint_rate',
    );
    // Then one column set per currency of the report.
    expect(lines[0]).toContain(',deals_USD,deal_value_total_USD,deal_value_average_USD');
    const header = lines[0]!.split(',');
    const row = lines.find((line) => line.startsWith(`${SOURCE},`));
    expect(row, `a CSV row for ${SOURCE}`).toBeDefined();
    const cells = Object.fromEntries(row!.split(',').map((cell, i) => [header[i]!, cell]));

    // Numbers with at most 4 decimals; empty cells for rates without a denominator.
    const fixed4 = (value: number) => String(Number(value.toFixed(4)));
    const facts = timeFacts(Object.values(leads));
    const days = (seconds: number) => seconds / SECONDS_PER_DAY;
    const [c0, c1, c2] = facts.cycles.map(days) as [number, number, number];
    expect(cells).toEqual({
      source: SOURCE,
      leads: '8',
      qualified: '7',
      qualification_rate: '0.875',
      reached_new: '8',
      reached_qualified: '7',
      reached_presentation: '5',
      reached_objection: '1',
      reached_closing: '3',
      reached_won: '3',
      conversion_new: '0.875',
      conversion_qualified: '0.8333',
      conversion_presentation: '0.75',
      conversion_objection: '1',
      conversion_closing: '1',
      avg_days_in_new: fixed4(days(facts.secondsIn.new!) / 8),
      avg_days_in_qualified: fixed4(days(facts.secondsIn.qualified!) / 6),
      avg_days_in_presentation: fixed4(days(facts.secondsIn.presentation!) / 4),
      avg_days_in_objection: fixed4(days(facts.secondsIn.objection!) / 1),
      avg_days_in_closing: fixed4(days(facts.secondsIn.closing!) / 3),
      won: '3',
      lost: '2',
      win_rate: '0.6',
      deals: '3',
      cycle_mean_days: fixed4((c0 + c1 + c2) / 3),
      cycle_median_days: fixed4(c1),
      emails_sent: '0',
      email_delivery_rate: '',
      email_open_rate: '',
      email_click_rate: '',
      email_bounce_rate: '',
      email_unsubscribe_rate: '',
      email_complaint_rate: '',
      ...Object.fromEntries(
        header
          .filter((name) => /^deal(s|_value_total|_value_average)_[A-Z]{3}$/.test(name))
          .map((name) => [name, name.startsWith('deal_value_average_') ? '' : '0']),
      ),
      deals_USD: '3',
      deal_value_total_USD: '60000',
      deal_value_average_USD: '20000',
    });
    // JSON stays the default, and wins a tie.
    expect((await getMetrics({ from: FROM, to: TO }, { accept: 'text/csv;q=0.5, application/json' })).headers.get('content-type')).toMatch(
      /json/,
    );
  });

  it('answers bad ranges with a 400 that says why', async () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ from: '2026-03-10', to: '2026-03-01' }, 'from', /from is after to/],
      [{ from: '2026-02-30', to: '2026-03-01' }, 'from', /invalid/],
      [{ from: '03/01/2026', to: '2026-03-01' }, 'from', /invalid/],
      [{ from: '2026-03-01', to: 'today' }, 'to', /invalid/],
      [{ from: '2024-01-01', to: '2025-01-01' }, 'to', /too long: 367 days, at most 366/],
      [{ from: '2026-03-01', to: '2026-03-01', groupBy: 'week' }, 'groupBy', /invalid/],
    ];
    for (const [params, path, message] of cases) {
      const response = await getMetrics(params);
      const body = await json(response);
      expect(response.status, JSON.stringify(params)).toBe(400);
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.message, JSON.stringify(params)).toMatch(message);
      expect(
        body.error.details.map((detail: { path: string }) => detail.path),
        JSON.stringify(params),
      ).toContain(path);
      expect(body.error.details.every((detail: { message: string }) => detail.message.length > 0)).toBe(true);
    }
    const calendar = await json(getMetrics({ from: '2026-02-30', to: '2026-03-01' }));
    expect(calendar.error.details[0].message).toBe('must be a calendar date as YYYY-MM-DD (got "2026-02-30")');
    // A year and a leap day is the longest range: answered.
    const longest = await getMetrics({ from: '2024-01-01', to: '2024-12-31' });
    expect(longest.status).toBe(200);
    expect((await json(longest)).days).toBe(366);
  });

  it('needs a key with the metrics:read scope (401 without one, 403 with another scope)', async () => {
    const params = { from: FROM, to: TO, groupBy: 'source' };
    expect((await getMetrics(params, { key: null })).status).toBe(401);
    expect((await getMetrics(params, { key: 'lf_not-a-real-key' })).status).toBe(401);

    const newKey = async (scopes: string[]) => {
      const response = await admin('POST', '/v1/api-keys', { name: `metrics-test-${scopes.join('+')}-${run}`, scopes });
      expect(response.status).toBe(201);
      return (await json(response)).key as string;
    };
    const leadsReader = await newKey(['leads:read']);
    const forbidden = await getMetrics(params, { key: leadsReader });
    expect(forbidden.status).toBe(403);
    expect(await json(forbidden)).toEqual({ message: 'Forbidden' });

    const analyst = await newKey(['metrics:read']);
    const allowed = await getMetrics(params, { key: analyst });
    expect(allowed.status).toBe(200);
    expect((await json(allowed)).groups.some((group: { group: string }) => group.group === SOURCE)).toBe(true);
    // ...and it may not run the aggregator (admin only).
    expect((await admin('POST', '/v1/metrics/aggregate', undefined, analyst)).status).toBe(403);
    expect((await admin('POST', '/v1/metrics/aggregate', undefined, '')).status).toBe(401);
  });

  it('counts a late event for its own (old) day, once', async () => {
    const lateDay = addDays(today, -5);
    await foldAll();
    const dayBefore = (await report({ from: lateDay, to: lateDay, groupBy: 'day' })).groups[0].kpis;
    expect(await sourceGroup(lateDay, lateDay)).toBeUndefined();
    const todayBefore = await sourceGroup(FROM, TO);

    // A stage move that happened five days ago, written only now (e.g. a rep's offline change
    // synced late): G left qualified for presentation after two hours there.
    const G = leads.G!;
    const at = new Date(`${lateDay}T10:00:00.000Z`);
    const entry = historyEntry(G.leadId, 'stage_changed', 'api-key:offline-sync', at, {
      from: 'qualified',
      to: 'presentation',
      secondsInPrevious: 7200,
      owner: G.owner,
      source: SOURCE,
      leadCreatedAt: `${addDays(lateDay, -1)}T09:00:00.000Z`,
    });
    process.env.TABLE_NAME ??= inject('tableName');
    const { historyItem } = await import('../../functions/shared/leads-repository');
    await documents().send(new PutCommand({ TableName: inject('tableName'), Item: historyItem(entry) }));

    await foldAll();
    // Counted on its own day, in the day totals and in its source...
    const late = await sourceGroup(lateDay, lateDay);
    expect(late, `a ${SOURCE} group on ${lateDay}`).toBeDefined();
    expect(late.kpis).toMatchObject({ leads: 0, qualified: 0, qualificationRate: null, won: 0, lost: 0, winRate: null });
    expect(late.kpis.funnel.find((row: { stage: string }) => row.stage === 'qualified')).toEqual({
      stage: 'qualified',
      reached: 0,
      left: 1,
      advanced: 1,
      conversion: 1,
    });
    expect(late.kpis.funnel.find((row: { stage: string }) => row.stage === 'presentation')).toMatchObject({ reached: 1, left: 0 });
    expect(late.kpis.averageDaysInStage.qualified).toBeCloseTo(7200 / SECONDS_PER_DAY, 12);
    const dayAfter = (await report({ from: lateDay, to: lateDay, groupBy: 'day' })).groups[0];
    expect(dayAfter.group).toBe(lateDay);
    const row = (kpis: { funnel: Array<{ stage: string; left: number; reached: number }> }, stage: string) =>
      kpis.funnel.find((candidate) => candidate.stage === stage)!;
    expect(row(dayAfter.kpis, 'qualified').left - row(dayBefore, 'qualified').left).toBe(1);
    expect(row(dayAfter.kpis, 'presentation').reached - row(dayBefore, 'presentation').reached).toBe(1);
    // ...not today...
    expect(await sourceGroup(FROM, TO)).toEqual(todayBefore);
    // ...and once: another run adds nothing.
    await foldAll();
    expect(await sourceGroup(lateDay, lateDay)).toEqual(late);
  });

  it('counts no email outcome for an open posted through the events API: it scores the lead, SES events rate emails', async () => {
    const openDay = addDays(today, -4);
    await foldAll();
    const emailOn = async (day: string) => (await report({ from: day, to: day, groupBy: 'day' })).groups[0].kpis.email;
    const before = await emailOn(openDay);

    const response = await admin('POST', `/v1/leads/${leads.G!.leadId}/events`, { type: 'email_open', at: `${openDay}T08:30:00.000Z` });
    expect(response.status).toBe(202);
    await foldAll();
    // Before, such opens without a send made an open rate of 1050%.
    expect(await emailOn(openDay)).toEqual(before);
  });

  it('rates a marketing campaign from its sends and SES events (groupBy=campaign), each event on its own day, once', async () => {
    const campaignId = `cmp_metrics_${run}`;
    const eventDay = addDays(today, -3);
    const at = (minute: number) => new Date(`${eventDay}T09:${String(minute).padStart(2, '0')}:00.000Z`);
    const G = leads.G!.leadId;
    const campaign = { campaignId, step: 1 };
    const entries = [
      ...[0, 1, 2, 3].map((n) => historyEntry(G, 'email_sent', 'workflow', at(n), { recipient: 'prospect', marketing: true, ...campaign })),
      ...[0, 1, 2].map((n) => historyEntry(G, 'email_delivered', 'ses', at(10 + n), { messageId: `m${n}`, ...campaign })),
      // Two opens of one email and one of another: opened counts events, the rate stays at most 1.
      ...[0, 0, 1].map((n, i) => historyEntry(G, 'email_opened', 'ses', at(20 + i), { messageId: `m${n}`, ...campaign })),
      historyEntry(G, 'email_clicked', 'ses', at(30), { messageId: 'm0', ...campaign }),
      historyEntry(G, 'email_bounced', 'ses', at(31), { messageId: 'm3', bounceType: 'Permanent', ...campaign }),
      historyEntry(G, 'unsubscribed', 'unsubscribe', at(32), { via: 'one-click', ...campaign }),
    ];
    process.env.TABLE_NAME ??= inject('tableName');
    const { historyItem } = await import('../../functions/shared/leads-repository');
    for (const entry of entries) await documents().send(new PutCommand({ TableName: inject('tableName'), Item: historyItem(entry) }));
    await foldAll();

    const byCampaign = await report({ from: eventDay, to: TO, groupBy: 'campaign' });
    expect(byCampaign.groupBy).toBe('campaign');
    const row = byCampaign.groups.find((group: { group: string }) => group.group === campaignId);
    expect(row, `a group for ${campaignId}`).toBeDefined();
    expect(row.kpis.email).toEqual({
      sent: 4,
      delivered: 3,
      opened: 3,
      clicked: 1,
      bounced: 1,
      complained: 0,
      unsubscribed: 1,
      deliveryRate: 0.75,
      openRate: 0.75,
      clickRate: 0.25,
      bounceRate: 0.25,
      complaintRate: 0,
      unsubscribeRate: 0.25,
    });
    const onItsDay = await report({ from: eventDay, to: eventDay, groupBy: 'campaign' });
    expect(onItsDay.groups.find((group: { group: string }) => group.group === campaignId).kpis.email.sent).toBe(4);
    // The UTM campaign of the captured leads is its own grouping.
    const byUtm = await report({ from: FROM, to: TO, groupBy: 'utm_campaign' });
    expect(byUtm.groups.find((group: { group: string }) => group.group === CAMPAIGN).kpis.leads).toBe(8);
    // Another run counts nothing twice.
    await foldAll();
    expect(
      (await report({ from: eventDay, to: TO, groupBy: 'campaign' })).groups.find((group: { group: string }) => group.group === campaignId),
    ).toEqual(row);
  });
});
