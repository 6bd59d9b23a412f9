/**
 * A rescore of 10,000 leads through the local cloud (POST /v1/scoring/rescore -> the Rescore state
 * machine -> RescorePage in its worker, paging the byStage index and writing each lead back with
 * its score_changed entry), in leads per second, beside two figures from the same run: raw
 * DynamoDB Local BatchWriteItem items per second (the seeding, the baseline) and the pure engine's
 * leads per second on the same leads. Prints figures; asserts nothing.
 *
 * The leads are built in-process (planCapture + leadItem, the shape a capture stores) and written
 * straight into the table, not captured over HTTP. A lead item written to the table is an INSERT on
 * its stream, and the stream consumer (process-lead-changes) starts a lifecycle execution for
 * every INSERT, so seeding alone would still start 10,000 workflows beside the rescore. To keep
 * them out, the local cloud runs without its event sources (`eventSources: false`: the table's
 * stream is not read). That holds for the rescore too, so the figure leaves out the consumer's
 * (no-op) pass over the rescore's 10,000 MODIFY records, which on AWS runs on its own Lambda
 * capacity. BENCH_STREAM=on keeps the stream consumer (and with it the workflows).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { planCapture, withEngagement } from '../core/capture';
import { leadIdFor, type Lead } from '../core/lead';
import { defaultScoringRules, engagementEventTypes, parseScoringRules, scoreLead, type EngagementEvent } from '../core/scoring';
import { stages, type Stage } from '../core/stages';
import { submissionSchema } from '../core/submission';
import { startBenchCloud } from './bench-cloud';
import { STAGE_SHARDS, keys } from '../core/keys';
import { itemAt } from './arrays';
import { sampleDomains, sampleProfile } from './generate';
import { seededRandom } from '../local/seeded-random';
import { pool } from './run-pool';

const LEADS = Number(process.env.BENCH_LEADS ?? 10_000);
const CONCURRENCY = 16;
const BATCH = 25;
const KEEP_STREAM = process.env.BENCH_STREAM === 'on';
const benchStarted = performance.now();

const { next, pick } = seededRandom(7);

/** Where seeded leads sit, roughly as in a live funnel; the rescore pages through every stage. */
const stageMix: Stage[] = [
  'new',
  'nurturing',
  'nurturing',
  'nurturing',
  'nurturing',
  'qualified',
  'qualified',
  'qualified',
  'disqualified',
  'presentation',
  'objection',
  'closing',
  'won',
  'lost',
];

const now = new Date();
const DAY = 86_400_000;

/** A lead as a capture stores it (planCapture), with 1-6 engagement events over the last 60 days. */
const benchOwners = [
  { name: 'Sam Rivera', email: 'sam.rivera@example.com' },
  { name: 'Alex Chen', email: 'alex.chen@example.com' },
];

function buildLead(i: number, run: string): Lead {
  const createdAt = new Date(now.getTime() - (30 + next() * 30) * DAY);
  const submission = submissionSchema.parse({
    email: `rescore-${run}-${i}@${pick(sampleDomains)}`,
    ...sampleProfile(i, pick),
    utm_source: pick(['google', 'linkedin', 'newsletter']),
  });
  let lead = planCapture(
    undefined,
    submission,
    { formId: 'default' },
    createdAt,
    defaultScoringRules,
    {},
    {
      leadId: leadIdFor(submission.email, 'bench-lead-id-key'),
    },
  ).lead;
  const events = Array.from({ length: 1 + Math.floor(next() * 6) }, (): EngagementEvent => {
    const type = pick(engagementEventTypes);
    const at = new Date(createdAt.getTime() + next() * (now.getTime() - createdAt.getTime())).toISOString();
    return type === 'page_visit' ? { type, at, properties: { path: pick(['/pricing', '/blog/x', '/']) } } : { type, at };
  });
  for (const event of events) lead = withEngagement(lead, event, defaultScoringRules, now);
  const stage = itemAt(stageMix, i % stageMix.length);
  // Every path into the sales stages gives the lead its owner in the same write, so a stored
  // qualified lead has one (without, the rescore would hand each an owner slot, one at a time).
  const owner = ['new', 'nurturing', 'disqualified'].includes(stage) ? {} : { owner: pick(benchOwners) };
  return { ...lead, stage, ...owner, stageChangedAt: lead.createdAt, version: 1 + events.length };
}

const cloud = await startBenchCloud({
  eventSources: KEEP_STREAM,
});
const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const dynamo = new DynamoDBClient({ ...local, endpoint: cloud.dynamoEndpoint });
const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
const sfn = new SFNClient({ ...local, endpoint: cloud.sfnEndpoint });
const auth = { authorization: `Bearer ${cloud.adminKey}`, 'content-type': 'application/json' };
// The repository module reads TABLE_NAME when it loads (leadItem itself only lays out the keys).
process.env.TABLE_NAME ??= cloud.tableName;
const { leadItem } = await import('../functions/shared/leads-repository');

/** The status and JSON body of an API answer; callers say what shape they expect the body in. */
async function api(method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${cloud.apiUrl}${route}`, {
    method,
    headers: auth,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** The parts of the active rules document this benchmark edits; the rest is published back as read. */
interface RulesDocument {
  version: string;
  rules: Array<{ id: string; pointsPerKeyword?: number; pointsPerEvent?: number }>;
}

try {
  const cloudReady = performance.now();

  // Build the leads in-process (not timed as seeding), then write them with BatchWriteItem.
  const run = Date.now().toString(36);
  const built = performance.now();
  const leads = Array.from({ length: LEADS }, (_, i) => buildLead(i, run));
  const buildSeconds = (performance.now() - built) / 1000;
  const items = leads.map(leadItem);
  const batches = Array.from({ length: Math.ceil(items.length / BATCH) }, (_, b) => items.slice(b * BATCH, (b + 1) * BATCH));
  let unprocessedRetries = 0;
  const seedStarted = performance.now();
  await pool(batches.length, CONCURRENCY, async (b) => {
    let requests = itemAt(batches, b).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await documents.send(new BatchWriteCommand({ RequestItems: { [cloud.tableName]: requests } }));
      requests = (UnprocessedItems?.[cloud.tableName] ?? []) as typeof requests;
      if (requests.length > 0) unprocessedRetries++;
    }
  });
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  // A new rules version that moves every lead: the need and engagement weights change.
  const active = (await api('GET', '/v1/scoring/rules')).body as RulesDocument;
  const version = `bench-${run}`;
  const document = structuredClone(active);
  document.version = version;
  for (const rule of document.rules) {
    if (rule.id === 'need') rule.pointsPerKeyword = 6;
    if (rule.id === 'email-clicks') rule.pointsPerEvent = 6;
  }
  const newRules = parseScoringRules(document);
  const published = await api('PUT', '/v1/scoring/rules', document);
  if (published.status !== 200) throw new Error(`publishing answered ${published.status}: ${JSON.stringify(published.body)}`);

  // The rescore, through the API, polled until it is done.
  const rescoreStarted = performance.now();
  const started = await api('POST', '/v1/scoring/rescore');
  if (started.status !== 202) throw new Error(`rescore answered ${started.status}: ${JSON.stringify(started.body)}`);
  const { jobId } = started.body as { jobId: string };
  type Job = { status: string; processed: number; rescored: number; startedAt: string; finishedAt?: string };
  let job: Job;
  for (;;) {
    job = (await api('GET', `/v1/scoring/rescore/${jobId}`)).body as Job;
    if (job.status !== 'running') break;
    if (performance.now() - rescoreStarted > 600_000) throw new Error(`rescore still running after 10 minutes: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const rescoreWall = (performance.now() - rescoreStarted) / 1000;
  const jobSeconds = (Date.parse(job.finishedAt ?? new Date().toISOString()) - Date.parse(job.startedAt)) / 1000;
  const stateMachineArn = cloud.stateMachines.Rescore;
  if (stateMachineArn === undefined) throw new Error('the local cloud runs no Rescore state machine');
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${jobId}`;
  const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  const pageInvocations = events.filter((event) => event.type === 'LambdaFunctionScheduled').length;

  // Check the outcome: every seeded lead now carries the new version (read back through the byStage index).
  const checkStarted = performance.now();
  let carrying = 0;
  for (const partition of stages.flatMap((stage) => Array.from({ length: STAGE_SHARDS }, (_, shard) => keys.stageShard(stage, shard)))) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName: cloud.tableName,
          IndexName: 'byStage',
          KeyConditionExpression: 'gsi1pk = :stage',
          ExpressionAttributeValues: { ':stage': partition },
          ExpressionAttributeNames: { '#score': 'score', '#version': 'rulesVersion' },
          ProjectionExpression: '#score.#version',
          ExclusiveStartKey: startKey,
        }),
      );
      const items = (page.Items ?? []) as Array<{ score?: { rulesVersion?: string } }>;
      carrying += items.filter((item) => item.score?.rulesVersion === version).length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  const checkSeconds = (performance.now() - checkStarted) / 1000;

  // Lifecycle executions the run started (none with the stream off: nothing captured over HTTP either).
  const { executions } = (await (await fetch(`${cloud.controlUrl}/executions`)).json()) as { executions: Array<{ stateMachine: string }> };
  const workflows = executions.filter((execution) => /Lifecycle/.test(execution.stateMachine)).length;

  // The pure engine on the same leads and the same new rules, in this process (best of 3).
  let engineBest = 0;
  let sink = 0;
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    for (const lead of leads) sink += scoreLead(lead, lead.engagement, newRules, now).total;
    engineBest = Math.max(engineBest, LEADS / ((performance.now() - t) / 1000));
  }

  const rate = (n: number, s: number) =>
    `${Math.round(n / s)
      .toLocaleString('en-US')
      .padStart(9)} /s`;
  const eventsSeeded = leads.reduce((sum, lead) => sum + lead.engagement.length, 0);
  console.log(
    `rescore benchmark: ${LEADS.toLocaleString('en-US')} leads (${(eventsSeeded / LEADS).toFixed(1)} engagement events each, ${stages.filter((s) => stageMix.includes(s)).length} stages), ` +
      `DynamoDB Local, Node ${process.version}`,
  );
  console.log(
    KEEP_STREAM
      ? '  seeded straight into the table with the stream consumer ON: each lead INSERT started a lifecycle workflow, running beside the rescore'
      : '  seeded straight into the table (planCapture + leadItem, BatchWriteItem), not captured over HTTP, in a local cloud without\n' +
          `  event sources: no capture requests and no lifecycle workflows for the ${LEADS.toLocaleString('en-US')} leads (a stream INSERT would start one each);\n` +
          '  the stream consumer also sits out the rescore, whose MODIFY records it would only skip',
  );
  console.log(
    `  baseline  raw BatchWriteItem (seeding, ${CONCURRENCY} in flight, 25/batch)   ${rate(LEADS, seedSeconds)} items   (${seedSeconds.toFixed(1)} s${unprocessedRetries ? `, ${unprocessedRetries} unprocessed retries` : ''})`,
  );
  console.log(
    `  leadflow  rescore through the local cloud, job clock      ${rate(job.processed, jobSeconds)} leads   (${jobSeconds.toFixed(1)} s, ${pageInvocations} RescorePage invocation${pageInvocations === 1 ? '' : 's'})`,
  );
  console.log(
    `  leadflow  rescore, POST to done as the client sees it      ${rate(LEADS, rescoreWall)} leads   (${rescoreWall.toFixed(1)} s)`,
  );
  console.log(
    `  ratio     rescore / raw BatchWriteItem                     ${(LEADS / jobSeconds / (LEADS / seedSeconds)).toFixed(2).padStart(9)}`,
  );
  console.log(
    `  engine    scoreLead in-process, same leads and rules       ${rate(engineBest, 1)} leads   (best of 3; building the leads took ${buildSeconds.toFixed(1)} s)`,
  );
  console.log(`  workflows ${workflows} lifecycle executions started during the run`);
  console.log(
    `  job       status ${job.status}, processed ${job.processed}, rescored ${job.rescored}; leads carrying ${version}: ${carrying}/${LEADS} (read back in ${checkSeconds.toFixed(1)} s)`,
  );
  console.log(
    `  wall      ${((performance.now() - benchStarted) / 1000).toFixed(0)} s before shutdown (local cloud start ${((cloudReady - benchStarted) / 1000).toFixed(0)} s)`,
  );
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink);
} finally {
  await cloud.stop();
}
