/**
 * `npm run demo`: a month of a small B2B company in a minute and a half, on the local cloud.
 *   --leads N     leads captured in the month (default 500)
 *   --seconds S   real seconds the month takes (default 90)
 *   --port N      the API's port (default 3000)
 *   --exit        stop once the month is told (the tests); otherwise the cloud stays up for the dashboard
 *
 * The cloud runs on a fast-forward clock (local/clock.ts) through the last thirty days: the
 * functions date everything in that month, so the dashboard shows thirty days of a funnel. The
 * month (local/demo-scenario.ts) is played through the public and keyed APIs only, as the form
 * tools, the prospects, the sales team and marketing would: captures from a landing page's
 * script, a plain HTML form and Tally's webhook; engagement; reps moving qualified leads through
 * presentations, objections, closes and losses; a nurture campaign whose emails are opened,
 * clicked, unsubscribed from and, once, bounced.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Progress, percent, table } from '../cli/format';
import { seededRandom } from './seeded-random';
import { startLocalCloud, type LocalCloud } from './cloud';
import { monthOfSales, type PlannedLead, type Scenario } from './demo-scenario';
import { repoRoot } from './local-aws';
import { readMailbox } from './ses';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const DAY_MS = 86_400_000;
const MONTH_DAYS = 30;
/** Requests the demo keeps in flight: a busy month, not a load test. */
const IN_FLIGHT = 16;

const { values } = parseArgs({
  options: { leads: { type: 'string' }, seconds: { type: 'string' }, port: { type: 'string' }, exit: { type: 'boolean' } },
});
// What DynamoDB Local serves on two cores: a lead's month is about 56 table requests (bench/scale.ts).
const leadCount = Number(values.leads ?? 500);
const seconds = Number(values.seconds ?? 90);
const port = Number(values.port ?? 3000);
if (!Number.isInteger(leadCount) || leadCount < 1 || !(seconds > 0) || !Number.isInteger(port)) {
  console.error('usage: npm run demo -- [--leads N] [--seconds S] [--port N] [--exit]');
  process.exit(2);
}

// The month ends at the start of the current hour: the dashboard's last thirty days are the demo's.
const until = Math.floor(Date.now() / 3_600_000) * 3_600_000;
const from = until - MONTH_DAYS * DAY_MS;
const scenario = monthOfSales({ from, until, leads: leadCount });
const cloud = await startLocalCloud({
  dataDir: path.join(repoRoot, '.leadflow-demo'),
  fresh: true,
  apiPort: port,
  sitePort: 0,
  dynamoPort: 0,
  timeScale: (until - from) / (seconds * 1000),
  fastForward: { from: new Date(from), until: new Date(until) },
  log: () => {},
});

let startedAt = Date.now();
const tally = { requests: 0, failures: [] as string[], movesRefused: 0 };
try {
  await prepare();
  await playMonth(cloud, scenario);
  await report(cloud, scenario.leads.length);
  if (values.exit) {
    await cloud.stop();
    process.exit(tally.failures.length > 0 ? 1 : 0);
  }
  console.log('The local cloud stays up (real time from now on); Ctrl-C stops it.');
  process.on('SIGINT', () => void cloud.stop().then(() => process.exit(0)));
} catch (error) {
  console.error(`the demo failed: ${error instanceof Error ? error.message : String(error)}`);
  await cloud.stop();
  process.exit(1);
}

/**
 * An API call as a well-behaved client makes it: a 429 or 503 (nothing happened) is retried after
 * its Retry-After, a few times. Every call is counted; the caller decides what a failure means.
 */
async function api(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return send(`${cloud.apiUrl}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${cloud.adminKey}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

async function send(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    tally.requests += 1;
    const response = await fetch(url, init);
    if ((response.status !== 429 && response.status !== 503) || attempt === 8) return response;
    await response.body?.cancel();
    const retryAfter = Number(response.headers.get('retry-after') ?? 0);
    await new Promise((resolve) => setTimeout(resolve, Math.max(retryAfter * 1000, 100 * attempt) * (0.5 + Math.random())));
  }
}

async function expectOk(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** The company's forms and marketing's templates and campaign, as their admins would set them up. */
async function prepare(): Promise<void> {
  // A month of API calls in a minute is 43,200 times a month's rate: the operator raises the stage
  // throttles (as UpdateStage would), or the demo would mostly measure 429s.
  const { stages } = (await (await fetch(`${cloud.controlUrl}/stages`)).json()) as { stages: Array<{ apiLogicalId: string }> };
  for (const { apiLogicalId } of stages) {
    const raised = await fetch(`${cloud.controlUrl}/stages/${encodeURIComponent(apiLogicalId)}/throttle`, {
      method: 'PUT',
      body: JSON.stringify({ rateLimit: 5_000, burstLimit: 5_000 }),
    });
    if (!raised.ok) throw new Error(`raising the ${apiLogicalId} throttle: ${raised.status} ${await raised.text()}`);
  }
  const limits = { perMinute: 1_000_000, perClientPerMinute: 1_000_000 };
  await expectOk(await api('PUT', '/v1/forms/demo-request', { name: 'Demo request (landing page)', rateLimit: limits }), 'form');
  await expectOk(await api('PUT', '/v1/forms/contact', { name: 'Contact us (HTML form)', rateLimit: limits }), 'form');
  await expectOk(
    await api('PUT', '/v1/forms/webinar', {
      name: 'Pipeline webinar registration (Tally)',
      provider: 'tally',
      fieldMap: {
        'Work email': 'email',
        'First name': 'firstName',
        'Last name': 'lastName',
        Company: 'company',
        'Job title': 'jobTitle',
        'Company size': 'companySize',
      },
      rateLimit: limits,
    }),
    'form',
  );
  const template = (subject: string, line: string) => ({
    subject,
    html: `<p>Hi {{firstName}},</p><p>${line}</p><p><a href="https://example.com/playbook">Read the playbook</a></p><p><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>`,
    text: `Hi {{firstName}}, ${line} https://example.com/playbook  Unsubscribe: {{unsubscribeUrl}}`,
    fallbacks: { firstName: 'there' },
  });
  await expectOk(
    await api(
      'PUT',
      '/v1/email-templates/nurture-playbook',
      template('The pipeline playbook, {{firstName}}', 'Here is how teams like yours fix their pipeline reporting.'),
    ),
    'template',
  );
  await expectOk(
    await api(
      'PUT',
      '/v1/email-templates/nurture-demo',
      template('See it on your own funnel', 'Book 20 minutes and we will score your last month of leads.'),
    ),
    'template',
  );
}

interface LeadState {
  plan: PlannedLead;
  /** `sending` while its capture is in flight, `sent` once accepted. */
  capture?: 'sending' | 'sent';
  /** Known once looked up by address (for its engagement) or seen in a stage's list. */
  leadId?: string;
  engagementDone: number;
  /** Set once the lead is seen in qualified: the next planned move and when it is due. */
  sales?: { next: number; dueAt: number };
}

/** Plays the scenario against the cloud's clock: everything is sent when its virtual time comes. */
async function playMonth(cloud: LocalCloud, scenario: Scenario): Promise<void> {
  const random = seededRandom(11);
  const states = scenario.leads.map((plan): LeadState => ({ plan, engagementDone: 0 }));
  const byEmail = new Map(states.map((state) => [state.plan.persona.email, state]));
  const progress = new Progress({ isTTY: process.stderr.isTTY, write: (text) => process.stderr.write(text) });
  let captured = 0;
  let campaignId: string | undefined;
  let lastSalesReview = 0;
  let lastReaction = 0;
  const reacted = new Set<string>();
  let bounced = false;
  const inFlight = new Set<Promise<void>>();
  const run = async (work: () => Promise<void>) => {
    while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    const promise = work()
      .catch((error: unknown) => {
        tally.failures.push(error instanceof Error ? error.message : String(error));
      })
      .finally(() => inFlight.delete(promise));
    inFlight.add(promise);
  };

  cloud.clock.start();
  startedAt = Date.now();
  for (;;) {
    const now = cloud.clock.now();
    const day = Math.min(MONTH_DAYS, Math.floor((now - scenario.from) / DAY_MS) + 1);
    progress.update(
      Math.min(now, scenario.until) - scenario.from,
      scenario.until - scenario.from,
      `day ${day}/${MONTH_DAYS}: ${captured} leads captured, ${tally.requests} API calls`,
    );

    for (const state of states) {
      if (state.plan.capturedAt > now) break;
      if (state.capture) continue;
      state.capture = 'sending';
      await run(async () => {
        await capture(state.plan);
        state.capture = 'sent';
        captured += 1;
      });
    }
    for (const state of states) {
      const next = state.plan.engagement[state.engagementDone];
      if (state.capture !== 'sent' || !next || next.at > now) continue;
      state.engagementDone += 1;
      await run(async () => {
        // Folded from the stream a moment after the capture: until then the event waits for the next round.
        const leadId = state.leadId ?? (state.leadId = await leadIdOf(state.plan.persona.email));
        if (leadId === undefined) {
          state.engagementDone -= 1;
          return;
        }
        await expectOk(
          await api(
            'POST',
            `/v1/leads/${leadId}/events`,
            { type: next.type, at: new Date(next.at).toISOString(), ...(next.properties && { properties: next.properties }) },
            { 'idempotency-key': randomUUID() },
          ),
          'engagement',
        );
      });
    }
    // Twice a day the reps look at their new qualified leads and start working them.
    if (now - lastSalesReview >= DAY_MS / 2) {
      lastSalesReview = now;
      for (const lead of await leadsIn('qualified')) {
        const state = byEmail.get(lead.email);
        if (!state || state.sales) continue;
        state.leadId = lead.leadId;
        state.sales = { next: 0, dueAt: now + (state.plan.sales.moves[0]?.afterDays ?? 0) * DAY_MS };
      }
    }
    for (const state of states) {
      const move = state.sales && state.plan.sales.moves[state.sales.next];
      if (!state.sales || !move || state.sales.dueAt > now || !state.leadId) continue;
      const sales = state.sales;
      sales.dueAt = Number.POSITIVE_INFINITY; // in flight
      const leadId = state.leadId;
      await run(async () => {
        const { afterDays: _afterDays, ...body } = move;
        const response = await api('POST', `/v1/leads/${leadId}/stage`, body, { 'idempotency-key': randomUUID() });
        // 409: the lead went elsewhere meanwhile (nurtured, disqualified): the rep drops it.
        if (response.status === 409) {
          tally.movesRefused += 1;
          return;
        }
        await expectOk(response, `move to ${move.stage}`);
        sales.next += 1;
        const following = state.plan.sales.moves[sales.next];
        if (following) sales.dueAt = cloud.clock.now() + following.afterDays * DAY_MS;
      });
    }
    if (!campaignId && now >= scenario.campaignLaunchAt) {
      campaignId = await launchCampaign();
    }
    // A mail client's pace: the mailbox holds every email of the month, read once a second.
    if (campaignId && Date.now() - lastReaction >= 1_000) {
      lastReaction = Date.now();
      bounced = await reactToEmails(random, reacted, bounced);
    }

    // The month is told once everything due in it is sent: a machine slower than the clock sends
    // the last of it a little late (dated after the month's end) rather than leave it out.
    const dueInMonth = (at: number | undefined) => at !== undefined && at < scenario.until;
    const pending = states.some(
      (state) =>
        state.capture !== 'sent' ||
        dueInMonth(state.plan.engagement[state.engagementDone]?.at) ||
        (state.sales !== undefined &&
          state.plan.sales.moves[state.sales.next] !== undefined &&
          (state.sales.dueAt === Number.POSITIVE_INFINITY || dueInMonth(state.sales.dueAt))),
    );
    if (now >= scenario.until && !pending) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await Promise.all(inFlight);
  // Nothing lost: every person captured has a lead (folded from the stream, which may still be catching up).
  const deadline = Date.now() + 180_000;
  for (const state of states) {
    while (state.leadId === undefined) {
      state.leadId = await leadIdOf(state.plan.persona.email);
      if (state.leadId !== undefined) break;
      if (Date.now() > deadline) throw new Error(`the lead of ${state.plan.persona.email} was never folded`);
      progress.update(1, 1, `waiting for the stream to fold the last captures`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  progress.update(1, 1, `the month is told: ${captured} leads captured and folded, ${tally.requests} API calls`);
  progress.finish();
}

/** One capture, as the lead's form tool posts it. */
async function capture(plan: PlannedLead): Promise<void> {
  const { persona, channel } = plan;
  const route = `/v1/forms/${channel.formId}/submissions`;
  const fields = {
    email: persona.email,
    firstName: persona.firstName,
    lastName: persona.lastName,
    company: persona.company,
    jobTitle: persona.jobTitle,
    companySize: persona.companySize,
    industry: persona.industry,
    country: persona.country,
    budget: persona.budget,
    timeline: persona.timeline,
    message: persona.message,
    consent: persona.consent ? 'yes' : 'no',
    utm_source: channel.utm.source,
    utm_medium: channel.utm.medium,
    utm_campaign: channel.utm.campaign,
  };
  const headers = { 'idempotency-key': `demo-${plan.index}` };
  let response: Response;
  if (channel.via === 'json') {
    response = await publicPost(route, JSON.stringify(fields), { ...headers, 'content-type': 'application/json' });
  } else if (channel.via === 'html-form') {
    response = await publicPost(route, new URLSearchParams(fields).toString(), {
      ...headers,
      'content-type': 'application/x-www-form-urlencoded',
    });
  } else {
    response = await publicPost(route, JSON.stringify(tallyDelivery(plan)), { ...headers, 'content-type': 'application/json' });
  }
  await expectOk(response, `capture through ${channel.id}`);
}

/** The lead of a captured person, found by address (a public answer names only the submission); undefined until it is folded. */
async function leadIdOf(email: string): Promise<string | undefined> {
  const found = (await expectOk(await api('GET', `/v1/leads?email=${encodeURIComponent(email)}`), 'lead look-up')) as {
    leads: Array<{ leadId: string }>;
  };
  return found.leads[0]?.leadId;
}

async function publicPost(route: string, body: string, headers: Record<string, string>): Promise<Response> {
  return send(`${cloud.apiUrl}${route}`, { method: 'POST', headers, body });
}

/** A Tally FORM_RESPONSE webhook, as Tally documents it, for a webinar registration. */
function tallyDelivery(plan: PlannedLead): unknown {
  const { persona, channel } = plan;
  const text = (key: string, label: string, value: string, type = 'INPUT_TEXT') => ({ key, label, type, value });
  return {
    eventId: `evt-${plan.index}`,
    eventType: 'FORM_RESPONSE',
    createdAt: new Date(plan.capturedAt).toISOString(),
    data: {
      responseId: `resp${plan.index}`,
      submissionId: `resp${plan.index}`,
      respondentId: `r${plan.index}`,
      formId: 'w4Demo',
      formName: 'Pipeline webinar',
      createdAt: new Date(plan.capturedAt).toISOString(),
      fields: [
        text('question_email', 'Work email', persona.email, 'INPUT_EMAIL'),
        text('question_first', 'First name', persona.firstName),
        text('question_last', 'Last name', persona.lastName),
        text('question_company', 'Company', persona.company),
        text('question_title', 'Job title', persona.jobTitle),
        {
          key: 'question_size',
          label: 'Company size',
          type: 'MULTIPLE_CHOICE',
          value: [`size-${persona.companySize}`],
          options: ['1-10', '11-50', '51-200', '201-1000', '1000+'].map((size) => ({ id: `size-${size}`, text: size })),
        },
        text('question_utm_source', 'utm_source', channel.utm.source, 'HIDDEN_FIELDS'),
        text('question_utm_medium', 'utm_medium', channel.utm.medium, 'HIDDEN_FIELDS'),
        text('question_utm_campaign', 'utm_campaign', channel.utm.campaign, 'HIDDEN_FIELDS'),
      ],
    },
  };
}

/** Every lead in a stage, page by page. */
async function leadsIn(stage: string): Promise<Array<{ leadId: string; email: string }>> {
  const leads: Array<{ leadId: string; email: string }> = [];
  let cursor: string | undefined;
  do {
    const page = (await expectOk(
      await api('GET', `/v1/leads?stage=${stage}&limit=100${cursor ? `&cursor=${cursor}` : ''}`),
      'lead list',
    )) as {
      leads: Array<{ leadId: string; email: string }>;
      nextCursor?: string;
    };
    leads.push(...page.leads);
    cursor = page.nextCursor;
  } while (cursor);
  return leads;
}

/** Marketing's nurture campaign for the leads in nurturing: the playbook now, a demo offer a week later to those who opened it. */
async function launchCampaign(): Promise<string> {
  const created = (await expectOk(
    await api('POST', '/v1/campaigns', {
      name: 'Pipeline playbook nurture',
      segment: { stages: ['nurturing'] },
      steps: [
        { templateId: 'nurture-playbook', delay: 'PT1H' },
        { templateId: 'nurture-demo', delay: 'P7D', condition: { type: 'opened_previous' } },
      ],
    }),
    'campaign',
  )) as { campaignId: string };
  await expectOk(await api('POST', `/v1/campaigns/${created.campaignId}/launch`), 'launch');
  return created.campaignId;
}

/**
 * What prospects do with the marketing emails that reached them: some open, some of those click,
 * a few unsubscribe with the one-click link, one address bounces. Through the mailbox's SES events
 * and the email's own List-Unsubscribe URL, as a mail client would.
 */
async function reactToEmails(random: ReturnType<typeof seededRandom>, reacted: Set<string>, bounced: boolean): Promise<boolean> {
  const mails = await readMailbox(cloud.mailbox.storeUrl);
  for (const mail of mails) {
    if (reacted.has(mail.messageId)) continue;
    const unsubscribe = /<(https?:[^>]+)>/.exec(mail.headers['List-Unsubscribe'] ?? '')?.[1];
    if (!unsubscribe) continue; // transactional
    reacted.add(mail.messageId);
    const mark = (event: Record<string, unknown>) =>
      fetch(`${cloud.controlUrl}/ses/messages/${encodeURIComponent(mail.messageId)}/events`, {
        method: 'POST',
        body: JSON.stringify(event),
      });
    if (!bounced) {
      bounced = true;
      await mark({ type: 'bounce', bounceType: 'Permanent' });
      continue;
    }
    const roll = random.next();
    if (roll < 0.45) {
      await mark({ type: 'open' });
      if (random.next() < 0.3) await mark({ type: 'click', link: 'https://example.com/playbook' });
    } else if (roll < 0.48) {
      tally.requests += 1;
      await fetch(unsubscribe, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
    }
  }
  return bounced;
}

/** One on-demand aggregation job, to its end. */
async function aggregateNow(): Promise<void> {
  const job = (await expectOk(await api('POST', '/v1/metrics/aggregate'), 'aggregation')) as { jobId: string };
  for (let attempt = 0; attempt < 600; attempt++) {
    const state = (await expectOk(await api('GET', `/v1/metrics/aggregate/${job.jobId}`), 'aggregation job')) as { status: string };
    if (state.status === 'succeeded') return;
    if (state.status === 'failed') throw new Error('the metrics aggregation failed');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the metrics aggregation did not end');
}

/** The month's KPIs from the metrics API, after an aggregation run, and where to look next. */
async function report(cloud: LocalCloud, captured: number): Promise<void> {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  type Report = {
    totals: Record<string, unknown> & {
      leads: number;
      funnel: Array<{ stage: string; reached: number; advanced: number; conversion: number | null }>;
      email: Record<string, number | null>;
      deals: Record<string, { count: number; value: number }>;
    };
    groups: Array<{ group: string; kpis: { leads: number; qualified: number; won: number } }>;
  };
  // The last history entries are derived from the table stream after their leads: fold until the
  // month's every lead is in the metrics (nothing lost), a few rounds at most.
  let metrics: Report | undefined;
  for (let round = 0; round < 60 && (metrics?.totals.leads ?? 0) < captured; round++) {
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 2_000));
    await aggregateNow();
    metrics = (await expectOk(await api('GET', `/v1/metrics?from=${day(from)}&to=${day(until)}&groupBy=source`), 'metrics')) as Report;
  }
  if (!metrics) throw new Error('no metrics');
  const totals = metrics.totals;
  console.log(`\nA month of sales, ${day(from)} to ${day(until)}\n`);
  console.log(
    table(
      ['KPI', 'value'],
      [
        ['leads', totals.leads],
        ['qualified', totals.qualified as number],
        ['qualification rate', percent(totals.qualificationRate as number | null)],
        ['won', totals.won as number],
        ['lost', totals.lost as number],
        ['win rate', percent(totals.winRate as number | null)],
        ...Object.entries(totals.deals).map(([currency, deals]): [string, string] => [
          `deals won (${currency})`,
          `${deals.count}, ${deals.value.toLocaleString('en-US')}`,
        ]),
        ['emails sent', totals.email.sent],
        ['open rate', percent(totals.email.openRate)],
        ['click rate', percent(totals.email.clickRate)],
        ['unsubscribe rate', percent(totals.email.unsubscribeRate)],
        ['bounce rate', percent(totals.email.bounceRate)],
      ],
    ),
  );
  console.log(
    table(
      ['funnel stage', 'reached', 'advanced', 'conversion'],
      totals.funnel.map((stage) => [stage.stage, stage.reached, stage.advanced, percent(stage.conversion)]),
    ),
  );
  console.log(
    table(
      ['source', 'leads', 'qualified', 'won'],
      metrics.groups.map(({ group, kpis }) => [group, kpis.leads, kpis.qualified, kpis.won]),
    ),
  );
  console.log(
    `${tally.requests} API calls, ${tally.failures.length} failed${tally.failures.length ? `: ${tally.failures.slice(0, 3).join('; ')}` : ''}; ` +
      `${tally.movesRefused} rep moves refused with 409 (the lead had moved on); the month took ${((Date.now() - startedAt) / 1000).toFixed(0)} s`,
  );
  console.log(`
  Dashboard   ${cloud.apiUrl}/dashboard
  Mailbox     ${cloud.mailbox.uiUrl}
  SES events  ${cloud.controlUrl}/mailbox
  Admin key   ${cloud.adminKey}
`);
}
