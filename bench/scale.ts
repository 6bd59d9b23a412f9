/**
 * Load and cost model: what one lead costs, measured in the local cloud, scaled to 10k, 1M and
 * 10M leads a month with a burst hour at 20x the average rate (bench/scale-model.ts): the
 * hottest partition's writes per second, the Lambda concurrency, the SES send rate, the cost per
 * month and per 1,000 leads at public on-demand prices, and which quota the burst meets first.
 *
 * The sample: SAMPLE_LEADS leads, each captured by a public form post (as a browser sends it),
 * scored and routed by its workflow, given two engagement events; one in four is moved through the
 * stages to won and one in four to lost (each move once the workflow waits for it, as a rep would);
 * then one nurture campaign email is launched at all of them. The counting covers the sample's
 * first WINDOW_DAYS workflow days (the clock runs TIME_SCALE times fast), so the follow-up timers
 * and retention emails that fall in a lead's first month are in, later ones are not.
 *
 * Counted, per lead: function invocations and their mean duration (local/cloud.ts `observe`),
 * DynamoDB requests and their read and write units from the items' sizes (bench/dynamodb-units.ts),
 * index writes from the table's stream, Step Functions transitions from the executions' histories,
 * SES sends and the SES events put on the bus (the control plane), API requests as sent.
 * Prints figures; asserts nothing.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import os from 'node:os';
import { keys } from '../core/keys';
import type { MarketingTemplate } from '../core/marketing-templates';
import { readAssembly } from '../local/assembly';
import { startBenchCloud } from './bench-cloud';
import type { DynamoDbExchange } from '../local/faults';
import { functionConstructId, type InvocationRecord } from '../local/lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/local-aws';
import { createEmailTemplates } from '../local/ses';
import type { Item } from './dynamodb-units';
import { qualifiedBenchProfile, sampleProfile } from './generate';
import { seededRandom } from '../local/seeded-random';
import { pool } from './run-pool';
import { dynamoDbLoad, executionCounts, functionLoads, lastSequence, monthlyFirings, streamRecords } from './scale-measure';
import { estimateVolume, type ApiStageLoad, type LeadProfile } from './scale-model';
import { printModel, printProfile } from './scale-report';

const SAMPLE_LEADS = Number(process.env.BENCH_LEADS ?? 40);
/** A workflow day in 5 s: follow-up timers (a day at least) outlast a move made once the workflow waits. */
const TIME_SCALE = 17_280;
const WINDOW_DAYS = 30;
const VOLUMES = [10_000, 1_000_000, 10_000_000];
const BURST_FACTOR = 20;
const CONCURRENCY = 8;
/** Lambda's own START, END and REPORT lines per invocation (estimated). */
const PLATFORM_LOG_BYTES_PER_INVOCATION = 260;
/** One HTTP API access log line (estimated). */
const ACCESS_LOG_BYTES_PER_REQUEST = 400;
/** One Step Functions log event at level ALL without execution data (estimated), one per history event. */
const STATE_MACHINE_LOG_BYTES_PER_EVENT = 350;

const benchStarted = performance.now();
let measuring = false;
const invocations: InvocationRecord[] = [];
const exchanges: DynamoDbExchange[] = [];
let functionLogBytes = 0;

const cloud = await startBenchCloud({
  timeScale: TIME_SCALE,
  // A function's output line is `[<construct path>] <line>`: what its log group would ingest.
  log: (line) => {
    if (measuring && line.startsWith('[')) functionLogBytes += Buffer.byteLength(line.slice(line.indexOf('] ') + 2)) + 1;
  },
  observe: {
    onInvoke: (invocation) => {
      if (measuring) invocations.push(invocation);
    },
    onDynamoDbExchange: (exchange) => {
      if (measuring) exchanges.push(exchange);
    },
  },
});
const local = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
const dynamo = new DynamoDBClient({ ...local, endpoint: cloud.dynamoEndpoint });
const documents = DynamoDBDocumentClient.from(dynamo);
const sfn = new SFNClient({ ...local, endpoint: cloud.sfnEndpoint });
const assembly = readAssembly(cloud.assemblyDir, 'Leadflow');
/** Requests the sample made, by HTTP API: the public capture API, the keyed API. */
const apiRequests = { capture: 0, keyed: 0 };

/** An admin-keyed API request; `counted: false` for the bench's own polling, which no lead causes. */
async function api(
  method: string,
  route: string,
  body?: unknown,
  { counted = true } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  if (measuring && counted) apiRequests.keyed += 1;
  const response = await fetch(`${cloud.apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${cloud.adminKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** The landing page's sample profile number `i` (bench/generate.ts), as form fields. */
function sampleFields(i: number): Record<string, string> {
  const { pick } = seededRandom(1_000 + i);
  return Object.fromEntries(
    Object.entries(sampleProfile(i, pick)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** A public form post, as the landing page's browser sends it (no key, from the site's origin). */
async function submitForm(email: string, fields: Record<string, string>, utmCampaign: string): Promise<void> {
  if (measuring) apiRequests.capture += 1;
  const response = await fetch(`${cloud.apiUrl}/v1/forms/default/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: cloud.siteUrl },
    body: new URLSearchParams({ ...fields, email, consent: 'yes', utm_source: 'bench', utm_campaign: utmCampaign }).toString(),
  });
  if (response.status !== 202) throw new Error(`form post answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

/** Every item of the table, read straight from DynamoDB Local (not through the counted proxy). */
async function scanTable(): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: cloud.tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The stage the lead's workflow waits in (its task token is registered), once it waits. */
async function waitingStage(leadId: string): Promise<string | undefined> {
  const { Item } = await documents.send(new GetCommand({ TableName: cloud.tableName, Key: keys.workflow(leadId), ConsistentRead: true }));
  return typeof Item?.stage === 'string' ? Item.stage : undefined;
}

/** Where routing put the lead: the stage its workflow waits in, or a final stage (no wait). */
async function routedStage(leadId: string): Promise<string | undefined> {
  const waiting = await waitingStage(leadId);
  if (waiting !== undefined) return waiting;
  const { Item } = await documents.send(new GetCommand({ TableName: cloud.tableName, Key: keys.lead(leadId), ConsistentRead: true }));
  return Item?.stage === 'disqualified' ? 'disqualified' : undefined;
}

async function move(leadId: string, from: string, to: Record<string, unknown>): Promise<void> {
  await until(`${leadId} waiting in ${from}`, async () => ((await waitingStage(leadId)) === from ? true : undefined));
  const moved = await api('POST', `/v1/leads/${leadId}/stage`, to);
  if (moved.status !== 200) throw new Error(`move to ${String(to.stage)}: ${moved.status} ${JSON.stringify(moved.body)}`);
}

/** One lead's life in the sample: two engagement events, then (one in four each) won or lost. */
async function liveLead(leadId: string, i: number): Promise<string> {
  const routed = await until(`${leadId} routed`, () => routedStage(leadId));
  for (const type of ['page_visit', 'email_open']) {
    const recorded = await api('POST', `/v1/leads/${leadId}/events`, { type });
    if (recorded.status !== 202) throw new Error(`event ${type}: ${recorded.status} ${JSON.stringify(recorded.body)}`);
  }
  const path = i % 4 === 0 ? 'won' : i % 4 === 1 ? 'lost' : 'stays';
  if (path === 'stays' || routed === 'disqualified') return routed;
  let stage = routed;
  if (stage === 'nurturing') {
    await move(leadId, stage, { stage: 'qualified' });
    stage = 'qualified';
  }
  await move(leadId, stage, { stage: 'presentation' });
  if (path === 'won') {
    await move(leadId, 'presentation', { stage: 'closing' });
    await move(leadId, 'closing', { stage: 'won', dealValue: 25_000 });
  } else {
    await move(leadId, 'presentation', { stage: 'lost', reason: 'Chose a competitor' });
  }
  return path;
}

async function captureAll(emails: string[], fields: (i: number) => Record<string, string>, utmCampaign: string): Promise<string[]> {
  await pool(emails.length, CONCURRENCY, (i) => submitForm(emails[i] ?? '', fields(i), utmCampaign));
  const wanted = new Set(emails);
  const leadIds = new Map<string, string>();
  await until('every lead stored', async () => {
    for (const item of await scanTable()) {
      const email = item.email?.S;
      if (item.sk?.S === 'LEAD' && email !== undefined && wanted.has(email)) leadIds.set(email, item.pk?.S?.slice('LEAD#'.length) ?? '');
    }
    return leadIds.size === wanted.size ? true : undefined;
  });
  return emails.map((email) => leadIds.get(email) ?? '');
}

try {
  const cloudReady = performance.now();
  const run = Date.now().toString(36);
  // Setup, not counted: the nurture email's template (as the templates API stores it) and the campaign.
  const templateId = `scale-${run}`;
  const template: MarketingTemplate = {
    templateId,
    version: 1,
    sesTemplateName: `leadflow-marketing-${templateId}-v1`,
    subject: 'A guide for {{firstName}}',
    html: '<p>Hi {{firstName}}, here is our guide.</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
    text: 'Hi {{firstName}}, here is our guide. Unsubscribe: {{unsubscribeUrl}}',
    fallbacks: {},
    updatedAt: new Date().toISOString(),
  };
  await documents.send(new PutCommand({ TableName: cloud.tableName, Item: { ...keys.emailTemplate(templateId), ...template } }));
  await createEmailTemplates(cloud.mailbox.storeUrl.replace(/\/store$/, ''), [
    { TemplateName: template.sesTemplateName, SubjectPart: template.subject, HtmlPart: template.html, TextPart: template.text },
  ]);
  const created = await api('POST', '/v1/campaigns', {
    name: 'Scale bench nurture',
    segment: { utmCampaigns: [run] },
    steps: [{ templateId, delay: 'PT0S' }],
  });
  if (created.status !== 201) throw new Error(`campaign create answered ${created.status}: ${JSON.stringify(created.body)}`);
  const campaignId = String(created.body.campaignId);

  // Warm-up, not counted: one lead captured and moved to lost (quiet afterwards: re-nurturing is
  // months away), so that the sample meets warm functions, as most leads do at volume.
  const [warmLeadId = ''] = await captureAll([`scale-warmup-${run}@bench.example`], () => qualifiedBenchProfile, `warmup-${run}`);
  await liveLead(warmLeadId, 1);
  await sleep(2_000);

  const streamBefore = lastSequence(await streamRecords(dynamo, cloud.dynamoEndpoint, cloud.tableName));
  measuring = true;
  const measureStart = new Date();
  const emails = Array.from({ length: SAMPLE_LEADS }, (_, i) => `scale-${run}-${i}@bench.example`);
  const leadIds = await captureAll(emails, sampleFields, run);
  const outcomes: string[] = [];
  await pool(leadIds.length, CONCURRENCY, async (i) => {
    outcomes.push(await liveLead(leadIds[i] ?? '', i));
  });

  const launched = await api('POST', `/v1/campaigns/${campaignId}/launch`);
  if (launched.status !== 202) throw new Error(`launch answered ${launched.status}: ${JSON.stringify(launched.body)}`);
  // Settled once the launch and every sequence it started are done (asked of Step Functions: no function runs for it).
  await until(
    'the campaign to settle',
    async () => {
      const machines = [cloud.stateMachines.CampaignLaunch, cloud.stateMachines.CampaignSequence];
      let started = 0;
      for (const stateMachineArn of machines) {
        const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000 }));
        if (executions.some((execution) => execution.status === 'RUNNING')) return undefined;
        started += executions.length;
      }
      return started > 1 ? true : undefined;
    },
    300_000,
  );

  const windowEnds = measureStart.getTime() + (WINDOW_DAYS * 86_400 * 1000) / TIME_SCALE;
  while (Date.now() < windowEnds) await sleep(1_000);
  measuring = false;
  const measuredSeconds = (Date.now() - measureStart.getTime()) / 1000;
  await sleep(1_000);
  const stats = ((await api('GET', `/v1/campaigns/${campaignId}`)).body.stats ?? {}) as Record<string, number>;

  // --- what the sample cost ---
  // Scheduled functions run on their schedule whatever the volume: counted per month, not per lead.
  const idOf = new Map(assembly.functions.map((spec) => [spec.logicalId, functionConstructId(spec)]));
  const memoryOf = new Map(assembly.functions.map((spec) => [functionConstructId(spec), spec.memorySize]));
  const scheduledFirings = new Map<string, number>();
  for (const rule of assembly.schedules) {
    for (const target of rule.targets) {
      const id = idOf.get(target.functionLogicalId) ?? target.functionLogicalId;
      scheduledFirings.set(id, (scheduledFirings.get(id) ?? 0) + monthlyFirings(rule.scheduleExpression));
    }
  }
  const { functions, scheduled } = functionLoads(invocations, SAMPLE_LEADS, (id) => memoryOf.get(id) ?? 512, scheduledFirings);
  const dynamodb = dynamoDbLoad({
    exchanges,
    records: await streamRecords(dynamo, cloud.dynamoEndpoint, cloud.tableName, streamBefore),
    tableItems: await scanTable(),
    scheduledFunctionIds: new Set(scheduledFirings.keys()),
    leads: SAMPLE_LEADS,
  });
  const stepFunctions = await executionCounts(sfn, Object.values(cloud.stateMachines), measureStart);
  const messages = (
    (await (await fetch(`${cloud.controlUrl}/ses/messages`)).json()) as { messages: Array<{ timestamp: string; published: string[] }> }
  ).messages.filter((message) => Date.parse(message.timestamp) >= measureStart.getTime());
  const sesEvents = messages.reduce((sum, message) => sum + message.published.length, 0);
  // Each HTTP API's stage throttle (the stack's own limit), with the requests the sample sent it.
  const stages = (
    (await (await fetch(`${cloud.controlUrl}/stages`)).json()) as {
      stages: Array<{ routeKeys: string[]; throttle?: { rateLimit?: number } }>;
    }
  ).stages;
  const apiStages: ApiStageLoad[] = [];
  for (const [name, routeKey, requests] of [
    ['Capture API', 'POST /v1/forms/{formId}/submissions', apiRequests.capture],
    ['Keyed API', 'POST /v1/leads/{leadId}/stage', apiRequests.keyed],
  ] as const) {
    const rateLimit = stages.find((stage) => stage.routeKeys.includes(routeKey))?.throttle?.rateLimit;
    if (rateLimit !== undefined) apiStages.push({ name, requestsPerLead: requests / SAMPLE_LEADS, rateLimit });
  }
  const apiRequestsPerLead = (apiRequests.capture + apiRequests.keyed) / SAMPLE_LEADS;
  const invocationsPerLead = functions.reduce((sum, fn) => sum + fn.invocations, 0);

  const profile: LeadProfile = {
    functions,
    scheduled,
    dynamodb: {
      writeUnitsPerLead: dynamodb.writeUnitsPerLead,
      indexWriteUnitsPerLead: dynamodb.indexWriteUnitsPerLead,
      readUnitsPerLead: dynamodb.readUnitsPerLead,
      storedBytesPerLead: dynamodb.storedBytesPerLead,
      sharedPartitions: dynamodb.sharedPartitions,
    },
    stepFunctions: {
      transitionsPerLead: stepFunctions.transitions / SAMPLE_LEADS,
      executionsPerLead: stepFunctions.executions / SAMPLE_LEADS,
    },
    emailsPerLead: messages.length / SAMPLE_LEADS,
    eventBridge: { customEventsPerLead: 0, awsServiceEventsPerLead: sesEvents / SAMPLE_LEADS },
    apiRequestsPerLead,
    logBytesPerLead:
      functionLogBytes / SAMPLE_LEADS +
      invocationsPerLead * PLATFORM_LOG_BYTES_PER_INVOCATION +
      (stepFunctions.historyEvents / SAMPLE_LEADS) * STATE_MACHINE_LOG_BYTES_PER_EVENT +
      apiRequestsPerLead * ACCESS_LOG_BYTES_PER_REQUEST,
    apiStages,
  };

  // --- report ---
  const paths = Object.entries(
    outcomes.reduce<Record<string, number>>((counts, outcome) => ({ ...counts, [outcome]: (counts[outcome] ?? 0) + 1 }), {}),
  )
    .map(([outcome, count]) => `${count} ${outcome}`)
    .join(', ');
  const campaign = JSON.stringify(Object.fromEntries(Object.entries(stats).filter(([, value]) => value > 0)));
  console.log(
    `scale benchmark: ${SAMPLE_LEADS} leads through the local cloud (${paths}; campaign ${campaign}), ` +
      `their first ${WINDOW_DAYS} workflow days at ${TIME_SCALE}x (${measuredSeconds.toFixed(0)} s)`,
  );
  console.log(
    `durations are wall times of the local workers on this ${os.cpus().length}-core machine, Node ${process.version}: ` +
      `an upper bound for AWS's billed duration`,
  );
  console.log('');
  printProfile(profile, { dynamodb, sesEventsPerLead: sesEvents / SAMPLE_LEADS });
  printModel(
    profile,
    VOLUMES.map((volume) => estimateVolume(profile, volume, { burstFactor: BURST_FACTOR })),
    BURST_FACTOR,
  );
  const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(0);
  console.log(`wall ${seconds(benchStarted, performance.now())} s (local cloud start ${seconds(benchStarted, cloudReady)} s)`);
} finally {
  await cloud.stop();
}
