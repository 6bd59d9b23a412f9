/**
 * Synthesizes the CDK app into a cloud assembly, offline, the way `cdk synth` runs it: the app
 * from infra/bin/app.ts in its own Node.js process, with cdk.json's context and the metadata the
 * CDK CLI asks for (asset paths, construct paths). A child process keeps aws-cdk-lib out of the
 * caller (a CLI, a vitest global setup, a benchmark) and runs while DynamoDB Local starts.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

/** What the app is made of: a change to any file here can change the assembly. */
const APP_SOURCES = [
  'infra',
  'functions',
  'core',
  'api',
  'workflows',
  'web',
  'cdk.json',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
];
/** Where assemblies are kept by the hash of their sources and context, and how many are kept. */
const CACHE_DIR = path.join(repoRoot, 'node_modules', '.cache', 'leadflow-assemblies');
const CACHED_ASSEMBLIES = 4;

/**
 * Synthesizes into `outdir` like `synthesize`, or copies an assembly synthesized before from the
 * same sources and context. Bundling the functions is most of a start (20 s or more on 2 cores):
 * a second `npm start`, and every local cloud a test run starts after the first, skip it. Any
 * change to the app's files or to the context is a new key, so nothing stale is ever served.
 */
export async function synthesizeCached(
  outdir: string,
  extraContext: Record<string, unknown> = {},
): Promise<{ dir: string; cached: boolean }> {
  const key = assemblyKey(extraContext);
  const cached = path.join(CACHE_DIR, key);
  if (existsSync(path.join(cached, 'manifest.json'))) {
    rmSync(outdir, { recursive: true, force: true });
    cpSync(cached, outdir, { recursive: true });
    makeAwsSdkResolvable(outdir);
    return { dir: outdir, cached: true };
  }
  await synthesize(outdir, extraContext);
  // Copied under a temporary name and renamed: a reader never finds half an assembly.
  const partial = `${cached}.${process.pid}.partial`;
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    cpSync(outdir, partial, { recursive: true });
    rmSync(cached, { recursive: true, force: true });
    renameSync(partial, cached);
    pruneCache();
  } catch {
    // Another start cached the same assembly meanwhile, or the disk is full: this start has its own.
    rmSync(partial, { recursive: true, force: true });
  }
  return { dir: outdir, cached: false };
}

/** A hash of every file the app is made of (paths and contents, below `root`) and of the context. */
export function assemblyKey(extraContext: Record<string, unknown>, root = repoRoot, sources = APP_SOURCES): string {
  const hash = createHash('sha256').update(JSON.stringify(extraContext));
  const visit = (relative: string) => {
    const absolute = path.join(root, relative);
    if (!existsSync(absolute)) return;
    if (statSync(absolute).isDirectory()) {
      for (const name of readdirSync(absolute).sort()) if (name !== 'node_modules') visit(path.join(relative, name));
      return;
    }
    hash.update(`\0${relative}\0`).update(readFileSync(absolute));
  };
  for (const source of sources) visit(source);
  return hash.digest('hex').slice(0, 32);
}

function pruneCache(): void {
  const entries = readdirSync(CACHE_DIR)
    .filter((name) => !name.endsWith('.partial'))
    .map((name) => ({ name, at: statSync(path.join(CACHE_DIR, name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const stale of entries.slice(CACHED_ASSEMBLIES)) rmSync(path.join(CACHE_DIR, stale.name), { recursive: true, force: true });
}

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
