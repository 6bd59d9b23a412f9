/**
 * Captures per second through the local cloud (HTTP API -> the capture bundle in its worker ->
 * one conditional PutItem) beside raw DynamoDB Local PutItem per second of a lead-sized item,
 * same concurrency, measured alternately in the same run. Twice: the capture path alone (the
 * table stream left unread, as on AWS where the workflow runs on other capacity), then with the
 * whole platform reacting to every lead on the same two cores. Prints figures; asserts nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { startLocalCloud, type LocalCloud } from '../local/cloud';
import { scratchDataDir } from '../local/local-aws';
import { throughput } from './run-pool';

const CONCURRENCY = 16;
const TOTAL = Number(process.env.BENCH_TOTAL ?? 3000);
const WARMUP = 300;

async function measure(cloud: LocalCloud): Promise<{ put: number; capture: number }> {
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: cloud.dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const run = Date.now();
  const rawPut = (i: number) =>
    documents
      .send(
        new PutCommand({
          TableName: cloud.tableName,
          // A lead-sized item (about 1 KB), as the capture writes. Not `sk: LEAD`: the table stream's
          // consumers take those for leads, fail to read them and retry them forever, so nothing
          // else on the stream would ever be folded (the whole-platform case would measure nothing).
          Item: {
            pk: `BENCH#${run}-${i}`,
            sk: 'BENCH',
            email: `bench-${run}-${i}@example.com`,
            profile: { company: 'Acme', jobTitle: 'VP Engineering', message: 'x'.repeat(600) },
            createdAt: new Date().toISOString(),
          },
        }),
      )
      .then(() => undefined);
  const capture = async (i: number) => {
    const response = await fetch(`${cloud.apiUrl}/v1/forms/default/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        email: `capture-${run}-${i}@example.com`,
        firstName: 'Ada',
        company: 'Acme',
        jobTitle: 'VP Engineering',
        utm_source: 'bench',
        message: 'x'.repeat(600),
      }).toString(),
    });
    if (response.status !== 202) throw new Error(`capture answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };

  await throughput(WARMUP, CONCURRENCY, (i) => rawPut(-1 - i));
  await throughput(WARMUP, CONCURRENCY, (i) => capture(-1 - i));
  // Alternate the two so that neither gets a warmer JVM or a quieter machine.
  const puts: number[] = [];
  const captures: number[] = [];
  for (let round = 0; round < 2; round++) {
    puts.push(await throughput(TOTAL / 2, CONCURRENCY, (i) => rawPut(round * TOTAL + i)));
    captures.push(await throughput(TOTAL / 2, CONCURRENCY, (i) => capture(round * TOTAL + i)));
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return { put: mean(puts), capture: mean(captures) };
}

async function withCloud<T>(eventSources: boolean, use: (cloud: LocalCloud) => Promise<T>): Promise<T> {
  const dataDir = scratchDataDir('bench');
  const cloud = await startLocalCloud({ dataDir, inMemory: true, apiPort: 0, sitePort: 0, dynamoPort: 0, eventSources, log: () => {} });
  try {
    return await use(cloud);
  } finally {
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(label: string, figures: { put: number; capture: number }, aim: number): void {
  console.log(`  ${label}`);
  console.log(`    baseline  raw DynamoDB Local PutItem   ${figures.put.toFixed(0).padStart(6)} /s`);
  console.log(`    leadflow  capture over HTTP            ${figures.capture.toFixed(0).padStart(6)} /s`);
  console.log(`    ratio     capture / PutItem            ${(figures.capture / figures.put).toFixed(2).padStart(6)}   (aim >= ${aim})`);
}

console.log(`capture benchmark: ${TOTAL} requests each, concurrency ${CONCURRENCY}, 2 cores, DynamoDB Local in memory`);
const pathAlone = await withCloud(false, measure);
report('capture path alone (table stream unread)', pathAlone, 0.8);
const bundles = await withCloud(true, async (cloud) => {
  report(
    'whole platform (each lead also folded from its submission, starts and routes its workflow, on the same cores)',
    await measure(cloud),
    0.6,
  );
  const template = JSON.parse(readFileSync(path.join(cloud.assemblyDir, 'Leadflow.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, resource]) => {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (assetPath === undefined) throw new Error(`${logicalId}: no aws:asset:path in its metadata`);
      return {
        name: logicalId.replace(/Function[0-9A-F]{8}$/, ''),
        kb: statSync(path.join(cloud.assemblyDir, assetPath, 'index.mjs')).size / 1024,
      };
    });
});
console.log(
  'function bundles (minified ESM; the AWS SDK comes from the Lambda runtime; aim: capture < 200 KB; bench/bundles.ts measures cold starts):',
);
for (const bundle of bundles) console.log(`  ${bundle.kb.toFixed(1).padStart(7)} KB  ${bundle.name}`);
