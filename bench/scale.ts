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
import { DynamoDBClient, ScanCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { rmSync } from 'node:fs';
import os from 'node:os';
import { CAMPAIGN_SHARDS, EVENT_SHARDS, keys, STAGE_SHARDS, tableKeys } from '../core/keys';
import type { MarketingTemplate } from '../core/marketing-templates';
import { readAssembly } from '../local/assembly';
import { startLocalCloud } from '../local/cloud';
import type { DynamoDbExchange } from '../local/faults';
import type { InvocationRecord } from '../local/lambda';
import { functionConstructId } from '../local/lambda';
import { scratchDataDir } from '../local/local-aws';
import { parseScheduleExpression } from '../local/schedules';
import { createEmailTemplates } from '../local/ses';
import { indexWrites, itemBytes, keyOf, requestUnits, type Item } from './dynamodb-units';
import { sampleProfile, seededRandom } from './generate';
import { pool } from './run-pool';
import {
  estimateVolume,
  HOURS_PER_MONTH,
  PRICES,
  QUOTAS,
  type ApiStageLoad,
  type FunctionLoad,
  type LeadProfile,
  type SharedPartition,
} from './scale-model';

const SAMPLE_LEADS = Number(process.env.BENCH_LEADS ?? 40);
/** A workflow day in 5 s: follow-up timers (a day at least) outlast a move made once the workflow waits. */
const TIME_SCALE = 17_280;
const WINDOW_DAYS = 30;
const VOLUMES = [10_000, 1_000_000, 10_000_000];
const BURST_FACTOR = 20;
const CONCURRENCY = 8;
/** DynamoDB bills 100 bytes of overhead per item stored, and per index entry. */
const ITEM_OVERHEAD_BYTES = 100;
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

const dataDir = scratchDataDir('bench');
const cloud = await startLocalCloud({
  dataDir,
  inMemory: true,
  apiPort: 0,
  sitePort: 0,
  dynamoPort: 0,
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
const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
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

/** A strong fit, qualified on arrival: the warm-up lead, which goes the whole way. */
const qualifiedProfile = {
  firstName: 'Bench',
  company: 'Bench Co',
  jobTitle: 'VP Engineering',
  companySize: '201-1000',
  industry: 'Software',
  country: 'United States',
  budget: '$25k-$100k',
  timeline: 'This quarter',
};

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

/**
 * Every record of the table's stream after the one numbered `after` (DynamoDB Local keeps them 24
 * hours). By sequence number, not by time: a record's time is rounded down to its minute.
 */
async function streamRecords(after = -1n): Promise<StreamRecord[]> {
  const streams = new DynamoDBStreamsClient({ ...local, endpoint: cloud.dynamoEndpoint });
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: cloud.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error('the table has no stream');
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
    shards.push(...(StreamDescription?.Shards ?? []));
    start = StreamDescription?.LastEvaluatedShardId;
  } while (start);
  const records: StreamRecord[] = [];
  for (const shard of shards) {
    let iterator = (
      await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      records.push(...(page.Records ?? []));
      // An open shard answers empty pages forever: its end for now.
      iterator = (page.Records ?? []).length > 0 ? page.NextShardIterator : undefined;
    }
  }
  return records.filter((record) => sequenceOf(record) > after);
}

function sequenceOf(record: StreamRecord): bigint {
  return BigInt(record.dynamodb?.SequenceNumber ?? '0');
}

/** Every history event of the executions started since `since`, by state machine construct id. */
async function executionHistories(since: Date): Promise<Map<string, { executions: number; events: HistoryEvent[] }>> {
  const byMachine = new Map<string, { executions: number; events: HistoryEvent[] }>();
  for (const [machine, stateMachineArn] of Object.entries(cloud.stateMachines)) {
    const entry = { executions: 0, events: [] as HistoryEvent[] };
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 1000 }));
      for (const execution of page.executions ?? []) {
        if ((execution.startDate?.getTime() ?? 0) < since.getTime()) continue;
        entry.executions += 1;
        let historyToken: string | undefined;
        do {
          const history = await sfn.send(
            new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 1000, nextToken: historyToken }),
          );
          entry.events.push(...(history.events ?? []));
          historyToken = history.nextToken;
        } while (historyToken);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    byMachine.set(machine, entry);
  }
  return byMachine;
}

/**
 * The partitions many leads write to, by family (a time window or a shard number folded), with how
 * many partitions share the family's load at a time; undefined for a partition of its own (a lead,
 * a submission, one client's rate window).
 */
function partitionFamily(partition: string, owners: number): { family: string; spread: number } | undefined {
  const [kind = '', ...rest] = partition.split('#');
  if (['LEAD', 'SUBMISSION', 'IDEMPOTENCY', 'SUPPRESSED', 'APIKEY', 'JOB'].includes(kind)) return undefined;
  switch (kind) {
    case 'STAGE':
      return { family: `STAGE#${rest[0] ?? ''}`, spread: rest.length > 1 ? STAGE_SHARDS : 1 };
    case 'DAY':
      return { family: 'DAY#<day>', spread: rest.length > 1 ? EVENT_SHARDS : 1 };
    case 'CAMPAIGN':
      return { family: 'CAMPAIGN#<campaign>', spread: rest.length > 1 ? CAMPAIGN_SHARDS : 1 };
    case 'RATE':
      // One client's window is its own partition; the form's window takes every post of the minute.
      return rest.length > 2 ? undefined : { family: `RATE#${rest[0] ?? ''}#<minute>`, spread: 1 };
    case 'SENDRATE':
      return { family: 'SENDRATE#<second>', spread: 1 };
    case 'DELIVERABILITY':
      return { family: 'DELIVERABILITY#<hour>', spread: 1 };
    case 'AUDIT':
      return { family: 'AUDIT#<day>', spread: 1 };
    case 'OWNER':
      // The round robin spreads qualified leads over the reps.
      return { family: 'OWNER#<rep>', spread: Math.max(1, owners) };
    default:
      return { family: partition, spread: 1 };
  }
}

function monthlyFirings(expression: string): number {
  const schedule = parseScheduleExpression(expression);
  if (schedule.kind === 'rate') return (HOURS_PER_MONTH * 3_600_000) / schedule.periodMs;
  let firings = 0;
  const start = Date.UTC(2026, 0, 1);
  for (let at = schedule.next(start); at < start + HOURS_PER_MONTH * 3_600_000; at = schedule.next(at)) firings += 1;
  return firings;
}

const money = (value: number) => (value >= 100 ? `$${value.toFixed(0)}` : value >= 1 ? `$${value.toFixed(2)}` : `$${value.toFixed(3)}`);
const figure = (value: number, digits = 2) => value.toLocaleString('en-US', { maximumFractionDigits: digits });
const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;

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
  const [warmLeadId = ''] = await captureAll([`scale-warmup-${run}@bench.example`], () => qualifiedProfile, `warmup-${run}`);
  await liveLead(warmLeadId, 1);
  await sleep(2_000);

  const streamBefore = (await streamRecords()).reduce((last, record) => (sequenceOf(record) > last ? sequenceOf(record) : last), -1n);
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
  const memoryOf = new Map(assembly.functions.map((spec) => [functionConstructId(spec), spec.memorySize]));
  const logicalToId = new Map(assembly.functions.map((spec) => [spec.logicalId, functionConstructId(spec)]));
  const scheduledFirings = new Map<string, number>();
  for (const rule of assembly.schedules) {
    for (const target of rule.targets) {
      const id = logicalToId.get(target.functionLogicalId) ?? target.functionLogicalId;
      scheduledFirings.set(id, (scheduledFirings.get(id) ?? 0) + monthlyFirings(rule.scheduleExpression));
    }
  }
  const records = await streamRecords(streamBefore);
  const storedBytes = new Map<string, number>();
  for (const record of records) {
    const images = [record.dynamodb?.OldImage, record.dynamodb?.NewImage].filter((image) => image !== undefined) as Item[];
    for (const image of images) {
      const key = keyOf(image);
      if (key) storedBytes.set(key, Math.max(storedBytes.get(key) ?? 0, itemBytes(image)));
    }
  }
  const sizeOf = (key: string) => storedBytes.get(key) ?? 0;

  const requestsByOperation = new Map<string, number>();
  const partitionWrites = new Map<string, number>();
  let writeUnits = 0;
  let readUnits = 0;
  for (const exchange of exchanges) {
    requestsByOperation.set(exchange.operation, (requestsByOperation.get(exchange.operation) ?? 0) + 1);
    const units = requestUnits(exchange.operation, exchange.request, exchange.response, sizeOf);
    writeUnits += units.writeUnits;
    readUnits += units.readUnits;
    // A scheduled function writes its partitions once a run, not at the leads' rate: no burst there.
    if (scheduledFirings.has(exchange.functionId)) continue;
    for (const [partition, value] of units.writesByPartition) partitionWrites.set(partition, (partitionWrites.get(partition) ?? 0) + value);
  }
  const indexes = [tableKeys.byStage, tableKeys.byDay, tableKeys.byOwner];
  let indexWriteUnits = 0;
  for (const record of records) {
    for (const write of indexWrites(record.dynamodb?.OldImage, record.dynamodb?.NewImage, indexes)) {
      indexWriteUnits += write.units;
      partitionWrites.set(write.partition, (partitionWrites.get(write.partition) ?? 0) + write.units);
    }
  }
  const owners = new Set([...partitionWrites.keys()].filter((partition) => partition.startsWith('OWNER#'))).size;
  const families = new Map<string, SharedPartition>();
  for (const [partition, units] of partitionWrites) {
    const family = partitionFamily(partition, owners);
    if (!family) continue;
    const entry = families.get(family.family) ?? { name: family.family, writeUnitsPerLead: 0, partitions: family.spread };
    entry.writeUnitsPerLead += units / SAMPLE_LEADS;
    families.set(family.family, entry);
  }
  const sharedPartitions = [...families.values()].sort((a, b) => b.writeUnitsPerLead / b.partitions - a.writeUnitsPerLead / a.partitions);

  // What stays stored: the items the sample wrote that are still there, with their index copies.
  const written = new Set(records.map((record) => keyOf(record.dynamodb?.Keys)));
  let tableBytes = 0;
  for (const item of await scanTable()) {
    if (!written.has(keyOf(item))) continue;
    const onIndexes = indexes.filter((index) => item[index.partitionKey] !== undefined).length;
    tableBytes += (itemBytes(item) + ITEM_OVERHEAD_BYTES) * (1 + onIndexes);
  }

  const histories = await executionHistories(measureStart);
  let transitions = 0;
  let historyEvents = 0;
  let executions = 0;
  for (const { executions: count, events } of histories.values()) {
    executions += count;
    historyEvents += events.length;
    transitions += events.filter((event) => event.type?.endsWith('StateEntered')).length;
  }

  const messages = (
    (await (await fetch(`${cloud.controlUrl}/ses/messages`)).json()) as { messages: Array<{ timestamp: string; published: string[] }> }
  ).messages.filter((message) => Date.parse(message.timestamp) >= measureStart.getTime());
  const sesEvents = messages.reduce((sum, message) => sum + message.published.length, 0);
  // Each HTTP API's stage throttle (the stack's own limit), with the requests the sample sent it.
  const stages = (
    (await (await fetch(`${cloud.controlUrl}/stages`)).json()) as {
      stages: Array<{ apiLogicalId: string; routeKeys: string[]; throttle?: { rateLimit?: number } }>;
    }
  ).stages;
  const stageServing = (routeKey: string) => stages.find((stage) => stage.routeKeys.includes(routeKey));
  const apiStages: ApiStageLoad[] = [];
  for (const [name, routeKey, requests] of [
    ['Capture API', 'POST /v1/forms/{formId}/submissions', apiRequests.capture],
    ['Keyed API', 'POST /v1/leads/{leadId}/stage', apiRequests.keyed],
  ] as const) {
    const rateLimit = stageServing(routeKey)?.throttle?.rateLimit;
    if (rateLimit !== undefined) apiStages.push({ name, requestsPerLead: requests / SAMPLE_LEADS, rateLimit });
  }

  const byFunction = new Map<string, { count: number; totalMs: number }>();
  for (const invocation of invocations) {
    const entry = byFunction.get(invocation.functionId) ?? { count: 0, totalMs: 0 };
    entry.count += 1;
    entry.totalMs += invocation.durationMs;
    byFunction.set(invocation.functionId, entry);
  }
  const functions: FunctionLoad[] = [];
  const scheduled: FunctionLoad[] = [];
  for (const [functionId, { count, totalMs }] of [...byFunction].sort((a, b) => b[1].count - a[1].count)) {
    const load = { functionId, meanDurationMs: totalMs / count, memoryMb: memoryOf.get(functionId) ?? 512 };
    const firings = scheduledFirings.get(functionId);
    if (firings === undefined) functions.push({ ...load, invocations: count / SAMPLE_LEADS });
    else scheduled.push({ ...load, invocations: firings });
  }
  const perLeadInvocations = functions.reduce((sum, fn) => sum + fn.invocations, 0);

  const profile: LeadProfile = {
    functions,
    scheduled,
    dynamodb: {
      writeUnitsPerLead: writeUnits / SAMPLE_LEADS,
      indexWriteUnitsPerLead: indexWriteUnits / SAMPLE_LEADS,
      readUnitsPerLead: readUnits / SAMPLE_LEADS,
      storedBytesPerLead: tableBytes / SAMPLE_LEADS,
      sharedPartitions,
    },
    stepFunctions: { transitionsPerLead: transitions / SAMPLE_LEADS, executionsPerLead: executions / SAMPLE_LEADS },
    emailsPerLead: messages.length / SAMPLE_LEADS,
    eventBridge: { customEventsPerLead: 0, awsServiceEventsPerLead: sesEvents / SAMPLE_LEADS },
    apiRequestsPerLead: (apiRequests.capture + apiRequests.keyed) / SAMPLE_LEADS,
    logBytesPerLead:
      functionLogBytes / SAMPLE_LEADS +
      perLeadInvocations * PLATFORM_LOG_BYTES_PER_INVOCATION +
      (historyEvents / SAMPLE_LEADS) * STATE_MACHINE_LOG_BYTES_PER_EVENT +
      ((apiRequests.capture + apiRequests.keyed) / SAMPLE_LEADS) * ACCESS_LOG_BYTES_PER_REQUEST,
    apiStages,
  };

  // --- report ---
  const paths = Object.entries(
    outcomes.reduce<Record<string, number>>((counts, outcome) => ({ ...counts, [outcome]: (counts[outcome] ?? 0) + 1 }), {}),
  )
    .map(([outcome, count]) => `${count} ${outcome}`)
    .join(', ');
  console.log(
    `scale benchmark: ${SAMPLE_LEADS} leads through the local cloud (${paths}; campaign ${JSON.stringify(
      Object.fromEntries(Object.entries(stats).filter(([, value]) => value > 0)),
    )}), their first ${WINDOW_DAYS} workflow days at ${TIME_SCALE}x (${measuredSeconds.toFixed(0)} s)`,
  );
  console.log(
    `durations are wall times of the local workers on this ${os.cpus().length}-core machine, Node ${process.version}: an upper bound for AWS's billed duration`,
  );
  console.log('');
  console.log('Measured per lead');
  console.log('');
  console.log(row(['function', 'invocations / lead', 'mean duration ms', 'memory MB']));
  console.log(row(['---', '---:', '---:', '---:']));
  for (const fn of functions) console.log(row([fn.functionId, figure(fn.invocations), figure(fn.meanDurationMs, 0), fn.memoryMb]));
  for (const fn of scheduled) {
    console.log(row([`${fn.functionId} (scheduled)`, `${figure(fn.invocations, 0)} / month`, figure(fn.meanDurationMs, 0), fn.memoryMb]));
  }
  console.log('');
  const operations = [...requestsByOperation]
    .sort((a, b) => b[1] - a[1])
    .map(([operation, count]) => `${operation} ${figure(count / SAMPLE_LEADS, 1)}`)
    .join(', ');
  console.log(row(['measure', 'per lead']));
  console.log(row(['---', '---:']));
  console.log(row(['Lambda invocations', figure(perLeadInvocations, 1)]));
  console.log(row(['DynamoDB requests', `${figure(exchanges.length / SAMPLE_LEADS, 1)} (${operations})`]));
  console.log(row(['DynamoDB write request units, table (transactions x2)', figure(profile.dynamodb.writeUnitsPerLead, 1)]));
  console.log(row(['DynamoDB write request units, indexes', figure(profile.dynamodb.indexWriteUnitsPerLead, 1)]));
  console.log(row(['DynamoDB read request units', figure(profile.dynamodb.readUnitsPerLead, 1)]));
  console.log(row(['DynamoDB bytes stored (items + index copies)', figure(profile.dynamodb.storedBytesPerLead, 0)]));
  for (const partition of sharedPartitions.slice(0, 4)) {
    console.log(
      row([
        `write units into shared partition ${partition.name}${partition.partitions > 1 ? ` (${partition.partitions} shards)` : ''}`,
        figure(partition.writeUnitsPerLead, 2),
      ]),
    );
  }
  console.log(row(['Step Functions executions started', figure(profile.stepFunctions.executionsPerLead, 2)]));
  console.log(row(['Step Functions state transitions', figure(profile.stepFunctions.transitionsPerLead, 1)]));
  console.log(row(['SES emails sent', figure(profile.emailsPerLead, 2)]));
  console.log(row(['EventBridge events (SES events on the default bus; no custom events)', figure(sesEvents / SAMPLE_LEADS, 2)]));
  console.log(
    row([
      'API Gateway requests',
      `${figure(profile.apiRequestsPerLead, 1)} (${apiStages.map((stage) => `${stage.name} ${figure(stage.requestsPerLead, 2)}`).join(', ')})`,
    ]),
  );
  console.log(
    row([
      "CloudWatch Logs bytes (functions' lines measured; Lambda's, Step Functions' and access logs estimated)",
      figure(profile.logBytesPerLead, 0),
    ]),
  );
  console.log('');

  const estimates = VOLUMES.map((volume) => estimateVolume(profile, volume, { burstFactor: BURST_FACTOR }));
  console.log(
    `Model: ${BURST_FACTOR}x burst hour; ${PRICES.region} on-demand prices as of ${PRICES.takenOn} (${PRICES.source}): Lambda $${PRICES.lambda.perMillionRequests}/1M requests + $${PRICES.lambda.perGbSecondArm}/GB-s arm64; DynamoDB $${PRICES.dynamodb.perMillionWriteUnits}/1M WRU, $${PRICES.dynamodb.perMillionReadUnits}/1M RRU, $${PRICES.dynamodb.perGbMonthStorage}/GB-month + PITR $${PRICES.dynamodb.perGbMonthPointInTimeRecovery}; Step Functions $${PRICES.stepFunctions.perThousandStandardTransitions}/1,000 transitions; SES $${PRICES.ses.perThousandEmails}/1,000 emails; EventBridge $${PRICES.eventBridge.perMillionCustomEvents}/1M custom events (AWS service events free); HTTP API $${PRICES.apiGateway.perMillionHttpApiRequests}/1M; Logs $${PRICES.cloudWatchLogs.perGbIngested}/GB; X-Ray $${PRICES.xRay.perMillionTracesRecorded}/1M traces. No free tier.`,
  );
  console.log('');
  console.log(
    row([
      'leads / month',
      'avg / burst leads/s',
      'hottest partition WCU/s',
      'Lambda concurrency',
      'SES sends/s',
      'Lambda',
      'DynamoDB',
      'Step Functions',
      'SES',
      'API GW',
      'Logs + X-Ray',
      'total / month',
      'per 1,000 leads',
      'first quota (need / limit)',
    ]),
  );
  console.log(row(['---:', '---:', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
  for (const estimate of estimates) {
    const [first] = estimate.quotas;
    console.log(
      row([
        figure(estimate.leadsPerMonth, 0),
        `${figure(estimate.averageLeadsPerSecond, 3)} / ${figure(estimate.burstLeadsPerSecond, 2)}`,
        `${figure(estimate.hottestPartition.writeUnitsPerSecond, 1)} (${estimate.hottestPartition.name})`,
        figure(estimate.lambdaConcurrency, 1),
        figure(estimate.sesSendsPerSecond, 2),
        money(estimate.cost.lambda),
        money(estimate.cost.dynamodb),
        money(estimate.cost.stepFunctions),
        money(estimate.cost.ses),
        money(estimate.cost.apiGateway),
        money(estimate.cost.logs + estimate.cost.xRay),
        money(estimate.cost.total),
        money(estimate.costPerThousandLeads),
        first ? `${first.quota}: ${figure(first.need, 1)} / ${figure(first.limit, 0)} (${figure(first.ratio * 100, 0)} %)` : '-',
      ]),
    );
  }
  console.log('');
  const largest = estimates.at(-1);
  if (largest) {
    console.log(`Quotas at ${figure(largest.leadsPerMonth, 0)} leads/month, burst hour, nearest first:`);
    for (const quota of largest.quotas) {
      console.log(
        `  ${quota.quota.padEnd(60)} need ${figure(quota.need, 1).padStart(9)}  limit ${figure(quota.limit, 0).padStart(7)}  ${figure(quota.ratio * 100, 0).padStart(5)} %`,
      );
    }
    const stage = sharedPartitions.find((partition) => partition.name === 'STAGE#new');
    if (stage) {
      const perShard = (shards: number) => figure((largest.burstLeadsPerSecond * stage.writeUnitsPerLead) / shards, 1);
      console.log(
        `  byStage STAGE#new takes ${figure(stage.writeUnitsPerLead, 2)} WCU per lead: ${perShard(1)} WCU/s in one partition, ${perShard(8)} in each of 8 shards, ${perShard(16)} in each of 16 (the layout declares ${stage.partitions})`,
      );
    }
  }
  console.log(
    `quotas: Lambda ${QUOTAS.lambdaConcurrency} concurrent; partition ${QUOTAS.partitionWriteUnitsPerSecond} WCU/s; SES ${QUOTAS.sesSendsPerSecond}/s (production start, set per use case; sandbox 1/s); StartExecution ${QUOTAS.startExecutionsPerSecond}/s; transitions ${QUOTAS.stateTransitionsPerSecond}/s; HTTP API ${QUOTAS.apiRequestsPerSecond}/s; the stack's stage throttles ${apiStages.map((stage) => `${stage.name} ${stage.rateLimit}/s`).join(', ')}`,
  );
  console.log(
    `wall ${((performance.now() - benchStarted) / 1000).toFixed(0)} s (local cloud start ${((cloudReady - benchStarted) / 1000).toFixed(0)} s)`,
  );
} finally {
  await cloud.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
