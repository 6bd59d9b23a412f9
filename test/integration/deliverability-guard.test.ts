import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../core/keys';
import { readAssembly } from '../../local/assembly';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';
import { scratchDataDir } from '../../local/local-aws';
import { eventually, uniqueEmail } from './helpers';

/**
 * The deliverability guard end to end, in a local cloud of its own: the shared one never lets the
 * guard judge (its deliberate bounces would pause the other files' campaigns). Here the guard
 * judges from 20 sends (CDK context `deliverabilityGuard`), so 40 emails make a window: one hard
 * bounce (2.5%) leaves the active campaign running, a second (5%) pauses it.
 */

const dataDir = scratchDataDir('guard');
const lines: string[] = [];
let cloud: LocalCloud;
let table: DynamoDBDocumentClient;
let started = false;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

beforeAll(async () => {
  cloud = await startLocalCloud({
    dataDir,
    inMemory: true,
    apiPort: 0,
    sitePort: 0,
    dynamoPort: 0,
    log: (line) => lines.push(line),
    context: { deliverabilityGuard: { minimumSends: 20 } },
  });
  started = true;
  table = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: cloud.dynamoEndpoint, region: 'us-east-1', credentials }));
}, 600_000);

afterAll(async () => {
  // A cloud that failed to start stopped what it had started.
  if (started) await cloud.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const campaign = async (campaignId: string) =>
  (await table.send(new GetCommand({ TableName: cloud.tableName, Key: keys.campaign(campaignId), ConsistentRead: true }))).Item;

async function mark(messageId: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${cloud.controlUrl}/ses/messages/${encodeURIComponent(messageId)}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

describe('deliverability guard', () => {
  it('pauses the active campaigns once hard bounces reach 5% of the sends, and tells ops', async () => {
    // A lead the emails are about (the handler counts tagged mail), and campaigns as the campaigns API stores them.
    const captured = await fetch(`${cloud.apiUrl}/v1/forms/default/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cloud.adminKey}` },
      // Not sales-ready and without consent: the lifecycle sends it nothing, so the window holds only the forty sends below.
      body: JSON.stringify({ email: uniqueEmail('guard'), firstName: 'Gus' }),
    });
    expect(captured.status).toBe(202);
    const { leadId } = (await captured.json()) as { leadId: string };
    for (const [campaignId, status] of [
      ['cmp_guard_active', 'active'],
      ['cmp_guard_draft', 'draft'],
    ]) {
      await table.send(new PutCommand({ TableName: cloud.tableName, Item: { ...keys.campaign(campaignId!), campaignId, status } }));
    }

    // Forty emails through SES as the functions send them: the configuration set and leadflow's tags.
    const sender = readAssembly(cloud.assemblyDir, 'Leadflow').functions.find((fn) => fn.environment.CONFIGURATION_SET_NAME)!;
    const ses = new SESv2Client({ endpoint: cloud.sesEndpoint, region: 'us-east-1', credentials });
    const messageIds: string[] = [];
    for (let i = 0; i < 40; i++) {
      const { MessageId } = await ses.send(
        new SendEmailCommand({
          FromEmailAddress: sender.environment.SENDER_EMAIL,
          Destination: { ToAddresses: [uniqueEmail(`guard-${i}`)] },
          ConfigurationSetName: sender.environment.CONFIGURATION_SET_NAME,
          Content: { Simple: { Subject: { Data: `Spring offer ${i}` }, Body: { Text: { Data: 'Hello' } } } },
          EmailTags: [
            { Name: 'template', Value: 'spring-offer' },
            { Name: 'lead', Value: leadId },
          ],
        }),
      );
      messageIds.push(MessageId!);
    }
    // Each send publishes Email Sent, then Email Delivered: once both are applied for every message, every send is counted.
    await eventually(
      'forty sends and deliveries applied',
      async () => {
        const { Items = [] } = await table.send(
          new QueryCommand({
            TableName: cloud.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': keys.lead(leadId).pk },
            ConsistentRead: true,
          }),
        );
        const applied = (kind: string) =>
          Items.filter((item) => String(item.sk).startsWith('EMAILEVENT#') && String(item.sk).endsWith(`#${kind}`));
        return applied('sent').length >= 40 && applied('delivered').length >= 40 ? true : undefined;
      },
      120_000,
    );

    await mark(messageIds[0]!, { type: 'bounce', bounceType: 'Permanent' });
    // A soft bounce is not SES's bounce rate: it changes nothing.
    await mark(messageIds[1]!, { type: 'bounce', bounceType: 'Transient' });
    expect(await campaign('cmp_guard_active')).toMatchObject({ status: 'active' });

    await mark(messageIds[2]!, { type: 'bounce', bounceType: 'Permanent' });
    expect(await campaign('cmp_guard_active')).toMatchObject({
      status: 'paused',
      pausedBy: 'deliverability-guard',
      pausedReason: 'deliverability guard: bounce rate 5% (limit 5%) over the last 40 sends',
    });
    expect(await campaign('cmp_guard_draft')).toMatchObject({ status: 'draft' });
    // Ops hear of it through the CampaignsPausedByGuard metric (its alarm notifies the ops topic on AWS).
    expect(lines.some((line) => line.includes('"CampaignsPausedByGuard":1'))).toBe(true);
  }, 300_000);
});
