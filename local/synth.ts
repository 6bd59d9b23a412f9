/**
 * Synthesizes the CDK app into a cloud assembly, offline, the way `cdk synth` runs it: the app
 * from infra/bin/app.ts in its own Node.js process, with cdk.json's context and the metadata the
 * CDK CLI asks for (asset paths, construct paths). A child process keeps aws-cdk-lib out of the
 * caller (a CLI, a vitest global setup, a benchmark) and runs while DynamoDB Local starts.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './local-aws';

const APP_ENTRY = 'infra/bin/app.ts';

/**
 * NodejsFunction bundles with `npx --no-install esbuild`, and npm's start-up costs ~0.8 s per
 * function. This `npx`, first on the app's PATH, runs the same local esbuild binary directly and
 * hands anything else to the real npx (the rest of PATH).
 */
const NPX_SHIM = `#!/bin/sh
if [ "$1" = "--no-install" ] && [ "$2" = "esbuild" ]; then
  shift 2
  exec "${path.join(repoRoot, 'node_modules', '.bin', 'esbuild')}" "$@"
fi
PATH="\${PATH#*:}" exec npx "$@"
`;

/** Synthesizes into `outdir` (emptied first) and returns it. */
export async function synthesize(outdir: string, extraContext: Record<string, unknown> = {}): Promise<string> {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  makeAwsSdkResolvable(outdir);
  const shimDir = path.join(outdir, '.bin');
  mkdirSync(shimDir);
  writeFileSync(path.join(shimDir, 'npx'), NPX_SHIM);
  chmodSync(path.join(shimDir, 'npx'), 0o755);

  const cdkJson = JSON.parse(readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const context = {
    ...cdkJson.context,
    ...extraContext,
    // What the CDK CLI adds: the local cloud finds bundles and construct paths through this metadata.
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
    'aws:cdk:bundling-stacks': ['**'],
  };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, APP_ENTRY], {
    cwd: repoRoot,
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify(context),
      // The built-in CloudFormation linter takes ~3 s per synth; it guards deployments (`cdk synth`,
      // test/infra), not local runs. cdk-nag still runs: the app registers it.
      CDK_VALIDATION: 'false',
      PATH: `${shimDir}${path.delimiter}${process.env.PATH ?? ''}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    // The end holds the error; bundling progress comes before it.
    const tail = output.trim().split('\n').slice(-40).join('\n');
    throw new Error(`synthesizing the CDK app failed (exit code ${code}):\n${tail}`);
  }
  return outdir;
}

/**
 * Bundles leave `@aws-sdk/*` to the Lambda runtime; locally they resolve it from the repo's
 * node_modules by walking up from cdk.out. An assembly outside the repo gets a link to them.
 */
function makeAwsSdkResolvable(outdir: string): void {
  if (!path.relative(repoRoot, outdir).startsWith('..')) return;
  const link = path.join(path.dirname(outdir), 'node_modules');
  if (!existsSync(link)) symlinkSync(path.join(repoRoot, 'node_modules'), link, 'dir');
}
