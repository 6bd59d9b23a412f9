/**
 * A campaign launch for a 10,000-lead segment through the local cloud (POST /v1/campaigns/{id}/launch
 * -> the CampaignLaunch Distributed Map -> LaunchCampaignPage enrolling each lead and starting its
 * CampaignSequence execution -> SendCampaignStep sending each of 3 steps through SES local), in
 * emails per second, beside raw SES-local SendEmail per second measured in the same run, their
 * ratio, and the Step Functions state transitions per lead. Prints figures; asserts nothing.
 *
 * The leads are built in-process (planCapture + leadItem, as a capture stores them) and written
 * straight into DynamoDB Local with BatchWriteItem, in a local cloud without event sources: a
 * lead INSERT on the stream would otherwise start a lifecycle workflow per lead beside the launch.
 * The steps' delays are zero and the clock runs at real time; the send rate (CDK context
 * `campaignSendRate`) is set far above what the machine can do, so the figure is the pipeline's own.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { sequenceExecutionName } from '../core/campaign';
import { planCapture } from '../core/capture';
import { keys } from '../core/keys';
import { leadIdFor, type Lead } from '../core/lead';
import type { MarketingTemplate } from '../core/marketing-templates';
import { defaultScoringRules } from '../core/scoring';
import { submissionSchema } from '../core/submission';
import { startBenchCloud } from './bench-cloud';
import { createEmailTemplates } from '../local/ses';
import { itemAt } from './arrays';
import { sampleProfile } from './generate';
import { seededRandom } from '../local/seeded-random';
import { pool } from './run-pool';

const LEADS = Number(process.env.BENCH_LEADS ?? 10_000);
const STEPS = 3;
const RAW_SENDS = Number(process.env.BENCH_RAW_SENDS ?? 2_000);
const CONCURRENCY = 16;
const BATCH = 25;
const benchStarted = performance.now();
const { pick } = seededRandom(11);
const now = new Date();

function buildLead(i: number, run: string): Lead {
  const submission = submissionSchema.parse({
    email: `campaign-${run}-${i}@bench.example`,
    ...sampleProfile(i, pick),
    consent: 'yes',
    customFields: { cohort: run },
  });
  const lead = planCapture(
    undefined,
    submission,
    { formId: 'default' },
    now,
    defaultScoringRules,
    {},
    {
      leadId: leadIdFor(submission.email, 'bench-lead-id-key'),
    },
  ).lead;
  return { ...lead, stage: 'nurturing', stageChangedAt: lead.createdAt };
}

const cloud = await startBenchCloud({
  eventSources: false,
  context: { campaignSendRate: 1_000_000 },
});
const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...local, endpoint: cloud.dynamoEndpoint }), {
  marshallOptions: { removeUndefinedValues: true },
});
const sfn = new SFNClient({ ...local, endpoint: cloud.sfnEndpoint });
const sesEndpoint = cloud.mailbox.storeUrl.replace(/\/store$/, '');
const ses = new SESv2Client({ ...local, endpoint: sesEndpoint });
process.env.TABLE_NAME ??= cloud.tableName;
const { leadItem } = await import('../functions/shared/leads-repository');

async function api(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${cloud.apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${cloud.adminKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

try {
  const cloudReady = performance.now();
  const run = Date.now().toString(36);
  const leads = Array.from({ length: LEADS }, (_, i) => buildLead(i, run));
  const items = leads.map(leadItem);
  const batches = Array.from({ length: Math.ceil(items.length / BATCH) }, (_, b) => items.slice(b * BATCH, (b + 1) * BATCH));
  const seedStarted = performance.now();
  await pool(batches.length, CONCURRENCY, async (b) => {
    let requests = itemAt(batches, b).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await documents.send(new BatchWriteCommand({ RequestItems: { [cloud.tableName]: requests } }));
      requests = (UnprocessedItems?.[cloud.tableName] ?? []) as typeof requests;
    }
  });
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  // Templates as the templates API stores them: the item and the SES template.
  const templateIds = Array.from({ length: STEPS }, (_, step) => `bench-${run}-${step}`);
  for (const templateId of templateIds) {
    const template: MarketingTemplate = {
      templateId,
      version: 1,
      sesTemplateName: `leadflow-marketing-${templateId}-v1`,
      subject: `Step ${templateId} for {{firstName}}`,
      html: '<p>Hi {{firstName}}</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
      text: 'Hi {{firstName}}. Unsubscribe: {{unsubscribeUrl}}',
      fallbacks: {},
      updatedAt: now.toISOString(),
    };
    await documents.send(new PutCommand({ TableName: cloud.tableName, Item: { ...keys.emailTemplate(templateId), ...template } }));
    await createEmailTemplates(sesEndpoint, [
      { TemplateName: template.sesTemplateName, SubjectPart: template.subject, HtmlPart: template.html, TextPart: template.text },
    ]);
  }

  // Baseline: raw templated SendEmail to SES local, the same kind of request a step makes.
  const rawStarted = performance.now();
  await pool(RAW_SENDS, CONCURRENCY, async (i) => {
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'bench@leadflow.example',
        Destination: { ToAddresses: [`raw-${i}@bench.example`] },
        Content: {
          Template: {
            TemplateName: `leadflow-marketing-${itemAt(templateIds, 0)}-v1`,
            TemplateData: JSON.stringify({ firstName: 'Ada', unsubscribeUrl: 'https://x.example' }),
          },
        },
      }),
    );
  });
  const rawSeconds = (performance.now() - rawStarted) / 1000;

  const created = await api('POST', '/v1/campaigns', {
    name: 'Bench',
    segment: { stages: ['nurturing'], customField: { name: 'cohort', equals: run } },
    steps: templateIds.map((templateId) => ({ templateId, delay: 'PT0S' })),
  });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
  const campaignId = String(created.body.campaignId);
  const launchStarted = performance.now();
  // A launch is safe to retry (the enrollments are conditional): a 503 from a busy table is retried.
  let launched = await api('POST', `/v1/campaigns/${campaignId}/launch`);
  for (let retry = 0; launched.status === 503 && retry < 5; retry++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    launched = await api('POST', `/v1/campaigns/${campaignId}/launch`);
  }
  if (launched.status !== 202) throw new Error(`launch answered ${launched.status}: ${JSON.stringify(launched.body)}`);
  const launchAnswerSeconds = (performance.now() - launchStarted) / 1000;
  const expected = LEADS * STEPS;
  let stats: Record<string, number> = {};
  let firstSendAt: number | undefined;
  for (;;) {
    stats = (await api('GET', `/v1/campaigns/${campaignId}`)).body.stats as Record<string, number>;
    const sent = stats.sent ?? 0;
    if (firstSendAt === undefined && sent > 0) firstSendAt = performance.now();
    if (sent >= expected) break;
    if (performance.now() - launchStarted > 1_800_000) throw new Error(`still sending after 30 minutes: ${JSON.stringify(stats)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const sendSeconds = (performance.now() - launchStarted) / 1000;

  // Transitions: the launch's, and a sample of sequences' (every `...StateEntered` is one transition).
  const entered = (events: Array<{ type?: string }>) => events.filter((event) => event.type?.endsWith('StateEntered')).length;
  const sequenceArn = cloud.stateMachines.CampaignSequence;
  const launchArn = cloud.stateMachines.CampaignLaunch;
  if (!sequenceArn || !launchArn)
    throw new Error(`the local cloud runs no campaign machines: ${Object.keys(cloud.stateMachines).join(', ')}`);
  const history = async (arn: string, name: string) => {
    const executionArn = `${arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const all: Array<{ type?: string }> = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
      all.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return all;
  };
  const sample = leads.slice(0, 20);
  let sequenceTransitions = 0;
  for (const lead of sample) sequenceTransitions += entered(await history(sequenceArn, sequenceExecutionName(campaignId, lead.leadId, 1)));
  const launchTransitions = entered(await history(launchArn, String(launched.body.launchId)));

  const rate = (n: number, s: number) => `${(n / s).toFixed(0).padStart(7)} /s`;
  const emailsPerSecond = expected / sendSeconds;
  const rawPerSecond = RAW_SENDS / rawSeconds;
  console.log(
    `campaign benchmark: ${LEADS.toLocaleString('en-US')} leads x ${STEPS} steps (delays 0), local cloud, Node ${process.version}`,
  );
  console.log(`  seeding   BatchWriteItem ${rate(LEADS, seedSeconds)} leads (${seedSeconds.toFixed(1)} s)`);
  console.log(
    `  baseline  raw SES-local SendEmail (template, ${CONCURRENCY} in flight)   ${rate(RAW_SENDS, rawSeconds)} emails (${RAW_SENDS} in ${rawSeconds.toFixed(1)} s)`,
  );
  console.log(
    `  leadflow  campaign emails, launch POST to last send              ${rate(expected, sendSeconds)} emails (${expected} in ${sendSeconds.toFixed(1)} s; launch answered in ${launchAnswerSeconds.toFixed(1)} s, first send after ${(((firstSendAt ?? launchStarted) - launchStarted) / 1000).toFixed(1)} s)`,
  );
  console.log(`  ratio     campaign / raw SendEmail                           ${(emailsPerSecond / rawPerSecond).toFixed(2).padStart(9)}`);
  console.log(
    `  sfn       ${(sequenceTransitions / sample.length).toFixed(1)} transitions per lead's sequence (mean of ${sample.length}) + ${(launchTransitions / LEADS).toFixed(3)} per lead for the launch (${launchTransitions} in all)`,
  );
  console.log(`  stats     ${JSON.stringify(Object.fromEntries(Object.entries(stats).filter(([, value]) => value > 0)))}`);
  console.log(
    `  wall      ${((performance.now() - benchStarted) / 1000).toFixed(0)} s (local cloud start ${((cloudReady - benchStarted) / 1000).toFixed(0)} s)`,
  );
} finally {
  await cloud.stop();
}
