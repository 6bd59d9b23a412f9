/**
 * Metrics aggregation cost against history size: the time the aggregator takes to fold 1,000 new
 * events when the table already holds 10,000 and then 100,000 older events (aim: a ratio under
 * 1.3, the cost grows with new events, not history), and the latency of a 365-day metrics query.
 * Runs its own in-memory DynamoDB Local and calls the function modules in this process.
 * Prints figures; asserts nothing.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { hashApiKey } from '../core/api-key';
import { historyEntry } from '../core/history';
import { keys, tableKeys } from '../core/keys';
import { allowedMoves } from '../core/stage-machine';
import { stages, type Stage } from '../core/stages';
import { startDynamoDb } from '../local/dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/local-aws';
import { itemAt, median } from './arrays';
import { seededRandom } from '../local/seeded-random';

/** The Lambda context of a direct call: the handler logs its request id. */
const benchContext = { awsRequestId: 'bench', functionName: 'GetMetrics', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

const TABLE_NAME = 'leadflow-bench-metrics';
const NEW_EVENTS = 1_000;
const RUNS = 3;
const QUERIES = 20;
const WRITE_CONCURRENCY = 16;
const DAY_MS = 86_400_000;
const RUN_INTERVAL_MS = 15 * 60_000;

const { next, pick } = seededRandom(7);

const sources = ['google', 'linkedin', 'newsletter', 'direct', 'partner'];
const campaigns = ['spring-launch', 'webinar-q3', 'retargeting', undefined];
const owners = ['sam.rivera@example.com', 'alex.chen@example.com', 'kim.park@example.com', 'lee.jones@example.com'];
const movable = stages.filter((stage) => allowedMoves[stage].length > 0);

const dynamo = await startDynamoDb({ port: 0, dataDir: undefined });
/** The bench's own writes, apart from the functions' client whose requests are counted. */
const writer = DynamoDBDocumentClient.from(dynamo.client, { marshallOptions: { removeUndefinedValues: true } });
// The function modules read their configuration at import: set it first.
Object.assign(process.env, {
  TABLE_NAME,
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  // The catch-up over the older events reaches back a year.
  METRICS_BACKFILL_DAYS: '400',
});
const { aggregateMetrics } = await import('../functions/aggregate-metrics');
const { handler: getMetrics } = await import('../functions/get-metrics');
const { historyItem } = await import('../functions/shared/leads-repository');
const { documents } = await import('../functions/shared/table');
const { readAggregates } = await import('../functions/shared/metrics-repository');

let dynamoRequests = 0;
documents.middlewareStack.add(
  (next) => async (args) => {
    dynamoRequests++;
    return next(args);
  },
  { step: 'initialize', name: 'countDynamoRequests' },
);

/** A history entry as the platform writes it: capture, stage move or email, ingested at `ingestedAt`. */
function eventItem(ingestedAt: Date): Record<string, unknown> {
  const leadId = `ld_bench${String(Math.floor(next() * 1e9)).padStart(14, '0')}`;
  // Mostly written as they happen; one in fifty arrives late, about something a few days earlier.
  const at = new Date(ingestedAt.getTime() - (next() < 0.02 ? Math.floor(next() * 5 * DAY_MS) : 0));
  const kind = next();
  let entry;
  if (kind < 0.3) {
    const source = pick(sources);
    const campaign = pick(campaigns);
    entry = historyEntry(leadId, 'captured', 'form:default', at, {
      formId: 'default',
      source,
      touch: { at: at.toISOString(), formId: 'default', source, campaign },
    });
  } else if (kind < 0.75) {
    const from: Stage = pick(movable);
    const to = pick(allowedMoves[from]);
    entry = historyEntry(leadId, 'stage_changed', 'api-key:bench', at, {
      from,
      to,
      secondsInPrevious: Math.floor(next() * 10 * 86_400),
      owner: pick(owners),
      source: pick(sources),
      leadCreatedAt: new Date(at.getTime() - Math.floor(next() * 60 * DAY_MS)).toISOString(),
      ...(to === 'won' && { dealValue: Math.round(1000 + next() * 49_000), currency: 'USD' }),
    });
  } else if (kind < 0.9) {
    entry = historyEntry(leadId, 'email_sent', 'workflow', at, { template: 'nurture', recipient: 'prospect', stage: 'nurturing' });
  } else {
    entry = historyEntry(leadId, 'engagement', 'api-key:bench', at, {
      type: pick(['email_open', 'email_click', 'page_visit']),
      eventAt: at.toISOString(),
    });
  }
  return historyItem(entry, ingestedAt);
}

/** Writes `count` events ingested between `from` and `to` (BatchWriteItem, several in flight). */
async function writeEvents(count: number, from: number, to: number): Promise<void> {
  const items = Array.from({ length: count }, () => eventItem(new Date(from + Math.floor(next() * (to - from)))));
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let nextBatch = 0;
  await Promise.all(
    Array.from({ length: WRITE_CONCURRENCY }, async () => {
      while (nextBatch < batches.length) {
        let requests = itemAt(batches, nextBatch++).map((item) => ({ PutRequest: { Item: item } }));
        while (requests.length) {
          const { UnprocessedItems } = await writer.send(new BatchWriteCommand({ RequestItems: { [TABLE_NAME]: requests } }));
          requests = (UnprocessedItems?.[TABLE_NAME] ?? []) as typeof requests;
        }
      }
    }),
  );
}

async function createTable(client: DynamoDBClient): Promise<void> {
  const indexes = [tableKeys.byStage, tableKeys.byDay];
  await client.send(
    new CreateTableCommand({
      TableName: TABLE_NAME,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        tableKeys.partitionKey,
        tableKeys.sortKey,
        ...indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
      ].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: tableKeys.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableKeys.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The aggregator on a simulated 15-minute schedule: each tick adds 1,000 events written since the
 * previous one, then runs the aggregator as the tick would (its clock passed in).
 */
let clock: number;
async function timedRuns(): Promise<{ ms: number[]; requests: number[]; folded: number[] }> {
  const result = { ms: [] as number[], requests: [] as number[], folded: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    // Written after the previous tick's cutoff (its clock minus the safety lag), as in real time.
    await writeEvents(NEW_EVENTS, clock + 1_000, clock + RUN_INTERVAL_MS);
    clock += RUN_INTERVAL_MS;
    const requestsBefore = dynamoRequests;
    const started = performance.now();
    const { eventsFolded } = await aggregateMetrics(new Date(clock + 61_000));
    result.ms.push(performance.now() - started);
    result.requests.push(dynamoRequests - requestsBefore);
    result.folded.push(eventsFolded);
  }
  return result;
}

try {
  await createTable(dynamo.client);
  // Simulated time: a year of history up to `start`, then the ticks, all in the past.
  const start = Date.now() - 2 * DAY_MS;
  const yearAgo = start - 365 * DAY_MS;

  let written = performance.now();
  await writeEvents(10_000, yearAgo, start);
  const write10k = performance.now() - written;
  let started = performance.now();
  const catchUp = await aggregateMetrics(new Date(start + 61_000));
  const catchUpMs = performance.now() - started;
  clock = start;
  const small = await timedRuns();

  // 90,000 more older events, behind the watermark as if folded long ago: they are history that
  // the aggregator must not have to read again, in the same day partitions as the earlier ones.
  written = performance.now();
  await writeEvents(90_000, yearAgo, start);
  const write90k = performance.now() - written;
  const large = await timedRuns();

  const apiKey = 'lf_bench-metrics-key';
  await writer.send(
    new PutCommand({
      TableName: TABLE_NAME,
      Item: { ...keys.apiKey(hashApiKey(apiKey)), name: 'bench', scopes: ['metrics:read'], createdAt: new Date().toISOString() },
    }),
  );
  const to = new Date(clock).toISOString().slice(0, 10);
  const from = new Date(clock - 364 * DAY_MS).toISOString().slice(0, 10);
  const queryMs: number[] = [];
  let queryRequests = 0;
  let leads = 0;
  for (let i = 0; i <= QUERIES; i++) {
    const requestsBefore = dynamoRequests;
    started = performance.now();
    const response = await getMetrics(metricsRequest(apiKey, from, to), benchContext);
    const elapsed = performance.now() - started;
    if (response.statusCode !== 200) throw new Error(`GET /v1/metrics answered ${response.statusCode}: ${response.body}`);
    // The first call warms the module's key cache and the JVM: not counted.
    if (i > 0) queryMs.push(elapsed);
    queryRequests = dynamoRequests - requestsBefore;
    if (response.body === undefined) throw new Error('GET /v1/metrics answered without a body');
    leads = (JSON.parse(response.body) as { totals: { leads: number } }).totals.leads;
  }
  // The same range's reads alone: the rest of a query's time is computing the KPIs of 365 days.
  const readMs: number[] = [];
  let aggregates = 0;
  for (let i = 0; i < QUERIES; i++) {
    started = performance.now();
    aggregates = (await readAggregates(from, to)).length;
    readMs.push(performance.now() - started);
  }

  console.log(
    `metrics benchmark: DynamoDB Local in memory, ${NEW_EVENTS.toLocaleString()} new events per aggregator run, median of ${RUNS} runs`,
  );
  console.log(
    `  setup      wrote 10,000 older events in ${seconds(write10k)}, 90,000 more in ${seconds(write90k)}; catch-up folded ${catchUp.eventsFolded.toLocaleString()} in ${seconds(catchUpMs)}`,
  );
  console.log(
    `  history  10,000 events   ${median(small.ms).toFixed(0).padStart(6)} ms   (runs ${small.ms.map((ms) => ms.toFixed(0)).join(', ')} ms; folded ${small.folded.join(', ')}; requests ${small.requests.join(', ')})`,
  );
  console.log(
    `  history 100,000 events   ${median(large.ms).toFixed(0).padStart(6)} ms   (runs ${large.ms.map((ms) => ms.toFixed(0)).join(', ')} ms; folded ${large.folded.join(', ')}; requests ${large.requests.join(', ')})`,
  );
  console.log(`  ratio   100k / 10k       ${(median(large.ms) / median(small.ms)).toFixed(2).padStart(6)}      (aim < 1.3)`);
  console.log(
    `  365-day query            ${median(queryMs).toFixed(0).padStart(6)} ms   (p50 of ${QUERIES}; max ${Math.max(...queryMs).toFixed(0)} ms; ${queryRequests} DynamoDB requests; ${leads.toLocaleString()} leads in range)`,
  );
  console.log(
    `    of which reads         ${median(readMs).toFixed(0).padStart(6)} ms   (${aggregates.toLocaleString()} daily aggregate items, 4 dimensions in parallel)`,
  );
} finally {
  await dynamo.stop();
}

function metricsRequest(apiKey: string, from: string, to: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'GET /v1/metrics',
    rawPath: '/v1/metrics',
    rawQueryString: `from=${from}&to=${to}&groupBy=day`,
    headers: { authorization: `Bearer ${apiKey}` },
    queryStringParameters: { from, to, groupBy: 'day' },
    isBase64Encoded: false,
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      requestId: 'bench',
      routeKey: 'GET /v1/metrics',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      http: { method: 'GET', path: '/v1/metrics', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
    },
  };
}
