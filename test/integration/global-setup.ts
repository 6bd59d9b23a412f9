import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    siteUrl: string;
    adminKey: string;
    dynamoEndpoint: string;
    tableName: string;
  }
}

let cloud: LocalCloud | undefined;
let dataDir: string | undefined;

/** One local cloud (real DynamoDB Local, the synthesized bundles) for every integration file. */
export async function setup(project: TestProject): Promise<void> {
  // Under the repo so the bundles resolve the AWS SDK from node_modules, as the Lambda runtime provides it.
  dataDir = mkdtempSync(path.join(process.cwd(), '.leadflow', 'test-'));
  cloud = await startLocalCloud({ dataDir, inMemory: true, apiPort: 0, sitePort: 0, dynamoPort: 0, log: () => {} });
  project.provide('apiUrl', cloud.apiUrl);
  project.provide('siteUrl', cloud.siteUrl);
  project.provide('adminKey', cloud.adminKey);
  project.provide('dynamoEndpoint', cloud.dynamoEndpoint);
  project.provide('tableName', cloud.tableName);
}

export async function teardown(): Promise<void> {
  await cloud?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
