/**
 * Captures per second through the local cloud (HTTP API -> capture bundle in its worker -> one
 * DynamoDB transaction) beside raw DynamoDB Local PutItem per second, same concurrency, same run.
 * Prints figures; asserts nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { startLocalCloud } from '../local/cloud';
import { throughput } from './run-pool';

const CONCURRENCY = 16;
const TOTAL = Number(process.env.BENCH_TOTAL ?? 3000);
const WARMUP = 300;

const dataDir = mkdtempSync(path.join(process.cwd(), '.leadflow', 'bench-'));
const cloud = await startLocalCloud({ dataDir, inMemory: true, apiPort: 0, sitePort: 0, dynamoPort: 0, log: () => {} });
try {
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: cloud.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const run = Date.now();
  const rawPut = (i: number) =>
    documents
      .send(
        new PutCommand({
          TableName: cloud.tableName,
          // A lead-sized item (about 1 KB), as the capture writes.
          Item: { pk: `BENCH#${run}-${i}`, sk: 'LEAD', email: `bench-${run}-${i}@example.com`, profile: { company: 'Acme', jobTitle: 'VP Engineering', message: 'x'.repeat(600) }, createdAt: new Date().toISOString() },
        }),
      )
      .then(() => undefined);
  const capture = async (i: number) => {
    const response = await fetch(`${cloud.apiUrl}/v1/forms/default/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        email: `capture-${run}-${i}@example.com`, firstName: 'Ada', company: 'Acme', jobTitle: 'VP Engineering',
        utm_source: 'bench', message: 'x'.repeat(600),
      }).toString(),
    });
    if (response.status !== 202) throw new Error(`capture answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };

  await throughput(WARMUP, CONCURRENCY, (i) => rawPut(-1 - i));
  await throughput(WARMUP, CONCURRENCY, (i) => capture(-1 - i));
  // Alternate the two so that neither gets a warmer JVM or a quieter machine.
  const putRates: number[] = [];
  const captureRates: number[] = [];
  for (let round = 0; round < 2; round++) {
    putRates.push(await throughput(TOTAL / 2, CONCURRENCY, (i) => rawPut(round * TOTAL + i)));
    captureRates.push(await throughput(TOTAL / 2, CONCURRENCY, (i) => capture(round * TOTAL + i)));
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const put = mean(putRates);
  const captured = mean(captureRates);

  console.log(`capture benchmark: ${TOTAL} requests each, concurrency ${CONCURRENCY}, DynamoDB Local on Java ${process.env.JAVA_VERSION ?? ''}`.trim());
  console.log(`  baseline  raw DynamoDB Local PutItem   ${put.toFixed(0).padStart(6)} /s`);
  console.log(`  leadflow  capture through local cloud  ${captured.toFixed(0).padStart(6)} /s`);
  console.log(`  ratio     capture / PutItem            ${(captured / put).toFixed(2).padStart(6)}  (aim >= 0.6)`);

  console.log('function bundles (minified ESM; the AWS SDK comes from the Lambda runtime; aim: capture < 350 KB):');
  const template = JSON.parse(readFileSync(path.join(cloud.assemblyDir, 'Leadflow.template.json'), 'utf8'));
  for (const [logicalId, resource] of Object.entries<{ Type: string; Metadata?: Record<string, string> }>(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const bundle = path.join(cloud.assemblyDir, resource.Metadata!['aws:asset:path']!, 'index.mjs');
    console.log(`  ${(statSync(bundle).size / 1024).toFixed(1).padStart(7)} KB  ${logicalId.replace(/Function[0-9A-F]{8}$/, '')}`);
  }
} finally {
  await cloud.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
