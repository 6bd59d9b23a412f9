import { mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the CDK app, the functions' sources and node_modules live here. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The fake AWS account the local cloud plays. The emulators accept any credentials; ARNs only
 * need to look plausible to code that parses them.
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function localArn(service: string, resource: string): string {
  return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
}

/**
 * A fresh data directory for one test run or benchmark, under `.leadflow/` (inside the repository,
 * so that the bundles in its cdk.out resolve the AWS SDK from node_modules as the runtime provides it).
 */
export function scratchDataDir(prefix: string): string {
  const parent = path.join(repoRoot, '.leadflow');
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(path.join(parent, `${prefix}-`));
}
