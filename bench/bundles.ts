/**
 * Every Lambda function of the synthesized app: its bundle size and its cold start, beside a
 * baseline bundle that holds only the AWS SDK clients the function imports, measured alternately
 * in the same run. The baseline is what the function would cost if its code were free: the part
 * of the cold start that the SDK (provided by the runtime, left out of the bundle) takes anyway.
 *
 * A cold start is a fresh Node.js process per measurement, loading the bundle as the Lambda
 * runtime does (`await import()` of the handler's module, then its export), with the function's
 * environment and the AWS SDK resolved from the repo's node_modules. Two figures per process:
 * the import alone (timed inside the child), and spawn to "ready" (timed by this process), which
 * includes Node.js's own start and is what Lambda's Init Duration is closest to. Prints figures;
 * asserts nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { readAssembly, type FunctionSpec } from '../local/assembly';
import { repoRoot, scratchDataDir } from '../local/local-aws';
import { lambdaRuntimeEnv } from '../local/lambda';
import { synthesize } from '../local/synth';
import { itemAt, median } from './arrays';

// Fifteen: with seven, one busy moment on a 2-core machine moved a ratio by 0.3 between runs.
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/** BENCH_KEEP=1 leaves the assembly and the baselines (entry.mjs, index.mjs) for a look. */
const KEEP = process.env.BENCH_KEEP === '1';
/** infra/app.ts STACK_NAME (importing it would load aws-cdk-lib into this process). */
const STACK_NAME = 'Leadflow';
const CAPTURE_ENTRY = 'capture-lead';
const CAPTURE_BUDGET_KB = 200;
const COLD_START_BUDGET_RATIO = 1.3;
const CHILD_TIMEOUT_MS = 30_000;

/**
 * How infra/constructs/api-function.ts has NodejsFunction run esbuild, so that a baseline differs
 * from a function bundle only in its code.
 */
const LAMBDA_BUNDLING: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*'],
  banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" },
};

/** What a bundle imports from one external `@aws-sdk/*` module at load time. */
interface SdkImport {
  module: string;
  names: Set<string>;
  namespace: boolean;
}

interface Bundle {
  file: string;
  exportName: string;
  kb: number;
}

interface Subject {
  label: string;
  spec: FunctionSpec;
  fn: Bundle;
  baseline: Bundle;
  sdk: SdkImport[];
  /** SDK modules the bundle only loads on demand (dynamic import or require): not part of its init. */
  lazySdk: string[];
}

interface ColdStart {
  importMs: number;
  totalMs: number;
}

/** A function's median cold start beside its baseline's, or why the function could not start. */
type Outcome = { fn: ColdStart; baseline: ColdStart } | { initError: string };

/** A child that exited without reporting ready: what Lambda would log as an init error. */
class InitError extends Error {
  override name = 'InitError';
}

// --- the functions' bundles --------------------------------------------------------------------

/** `dir/module.export` as the Node.js runtime reads a handler setting: the module as .js, .mjs or .cjs. */
function bundleOf(spec: FunctionSpec): Bundle {
  const dot = spec.handler.lastIndexOf('.');
  const modulePath = spec.handler.slice(0, dot);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => path.join(spec.codeDir, modulePath + ext)).find((candidate) => existsSync(candidate));
  if (!file) throw new Error(`${spec.logicalId}: no ${modulePath}.{js,mjs,cjs} in ${spec.codeDir}`);
  return { file, exportName: spec.handler.slice(dot + 1), kb: statSync(file).size / 1024 };
}

/**
 * The template records construct paths, not entry files. LeadflowFunction ids are the entry's name
 * in PascalCase (`CaptureLead` for functions/capture-lead.ts) except where a construct says
 * otherwise, so the entry is taken when that file exists; the label falls back to the path.
 */
function labelOf(spec: FunctionSpec): { label: string; entry: string | undefined } {
  const constructPath = (spec.constructPath ?? spec.logicalId).replace(/\/Function$/, '');
  const id = constructPath.slice(constructPath.lastIndexOf('/') + 1);
  const kebab = id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  const entry = existsSync(path.join(repoRoot, 'functions', `${kebab}.ts`)) ? kebab : undefined;
  return { label: constructPath, entry };
}

/**
 * The external SDK modules a bundle imports, read from its import statements: minified ESM keeps
 * one `import{A as b,C}from"@aws-sdk/x"` per source module that imports it, so names are merged.
 */
function sdkImportsOf(source: string): { sdk: SdkImport[]; lazy: string[] } {
  const byModule = new Map<string, SdkImport>();
  const statement = /\bimport\s*(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\}|(\*)\s*as\s+[\w$]+)?\s*(?:from\s*)?(["'])(@aws-sdk\/[^"']+)\4/g;
  for (const [, defaultName, named, star, , module] of source.matchAll(statement)) {
    // The module is the one group the pattern requires: every match has it.
    if (module === undefined) continue;
    const entry = byModule.get(module) ?? { module, names: new Set<string>(), namespace: false };
    if (defaultName) entry.names.add('default');
    for (const specifier of named?.split(',') ?? []) {
      const name = specifier.trim().split(/\s+as\s+/)[0];
      if (name) entry.names.add(name);
    }
    if (star) entry.namespace = true;
    byModule.set(module, entry);
  }
  const lazy = [...source.matchAll(/\b(?:import|require)\(\s*["'](@aws-sdk\/[^"']+)["']\s*\)/g)]
    .map((match) => match[1])
    .filter((module) => module !== undefined);
  return { sdk: [...byModule.values()].sort((a, b) => a.module.localeCompare(b.module)), lazy: [...new Set(lazy)] };
}

// --- the baselines -------------------------------------------------------------------------------

/** Clients built by wrapping another client rather than with `new`. */
const WRAPPING_CLIENTS: Record<string, { module: string; base: string }> = {
  DynamoDBDocumentClient: { module: '@aws-sdk/client-dynamodb', base: 'DynamoDBClient' },
};

/**
 * An entry importing exactly what the function imports from the SDK and constructing each client
 * once at load time, as functions do. Every imported name stays referenced, so the baseline's
 * import statements (and so the module graph Node.js loads) are the function's.
 */
function baselineSource(sdk: SdkImport[]): string {
  const imports = sdk.map((entry) => ({ ...entry, names: new Set(entry.names) }));
  const clients = imports.flatMap((entry) => [...entry.names].filter((name) => name.endsWith('Client')));
  // A wrapping client needs its base client: import it even if the function gets it elsewhere.
  for (const wrapped of clients.map((client) => WRAPPING_CLIENTS[client]).filter((wrapped) => wrapped !== undefined)) {
    let base = imports.find((entry) => entry.module === wrapped.module);
    if (!base) imports.push((base = { module: wrapped.module, names: new Set(), namespace: false }));
    base.names.add(wrapped.base);
  }

  const lines: string[] = [];
  const referenced: string[] = [];
  imports.forEach(({ module, names, namespace }, index) => {
    const named = [...names].filter((name) => name !== 'default');
    const bindings: Array<[statement: string, names: string[]]> = [
      [`import sdk${index}Default from '${module}';`, names.has('default') ? [`sdk${index}Default`] : []],
      [`import * as sdk${index} from '${module}';`, namespace ? [`sdk${index}`] : []],
      [`import { ${named.join(', ')} } from '${module}';`, named],
    ];
    const used = bindings.filter(([, bound]) => bound.length);
    for (const [statement, bound] of used) {
      lines.push(statement);
      referenced.push(...bound);
    }
    // A bare `import 'x'` in the bundle still loads (and runs) the module.
    if (!used.length) lines.push(`import '${module}';`);
  });
  // One instance per client, a wrapping client around its base's instance.
  const instances = new Map<string, string>();
  const construct = (client: string): string => {
    const existing = instances.get(client);
    if (existing !== undefined) return existing;
    const wrapped = WRAPPING_CLIENTS[client];
    const value = wrapped ? `${client}.from(${construct(wrapped.base)})` : `new ${client}({})`;
    const instance = `client${instances.size}`;
    instances.set(client, instance);
    lines.push(`const ${instance} = ${value};`);
    return instance;
  };
  clients.forEach(construct);
  lines.push(`export const handler = async () => [${[...instances.values(), ...referenced].join(', ')}];`);
  return lines.join('\n') + '\n';
}

/**
 * Bundles a baseline beside the assembly, at the same depth below the repo, so that it resolves
 * the SDK from node_modules exactly as the function bundles do.
 */
async function buildBaseline(dir: string, source: string): Promise<Bundle> {
  mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, 'entry.mjs');
  const file = path.join(dir, 'index.mjs');
  writeFileSync(entry, source);
  await build({ ...LAMBDA_BUNDLING, entryPoints: [entry], outfile: file, logLevel: 'error' });
  return { file, exportName: 'handler', kb: statSync(file).size / 1024 };
}

// --- cold starts -------------------------------------------------------------------------------

/**
 * What the child runs: the runtime's handler load, nothing else. It reports once the handler is
 * in hand ("ready") and exits, whatever timers the bundle may have left. A failed init prints only
 * the error's stack: Node.js would also print the (minified, one-line) source around the throw.
 */
const CHILD_SOURCE = `
const [url, exportName] = process.argv.slice(1);
const fail = (error) => {
  process.stderr.write(String(error?.stack ?? error), () => process.exit(1));
};
try {
  const started = performance.now();
  const module = await import(url);
  const importMs = performance.now() - started;
  if (typeof module[exportName] !== 'function') throw new Error(exportName + ' is not exported as a function');
  process.stdout.write(JSON.stringify({ importMs }) + '\\n', () => process.exit(0));
} catch (error) {
  fail(error);
}
`;

/**
 * The environment Lambda gives the function: the template's variables (NODE_OPTIONS among them)
 * and the runtime's own, and nothing of this shell, whose NODE_OPTIONS would change what Node.js
 * loads at start. A closed endpoint keeps any call made at init from reaching AWS.
 */
function lambdaEnv(spec: FunctionSpec, taskRoot: string): Record<string, string> {
  return {
    ...lambdaRuntimeEnv(spec),
    AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
    LAMBDA_TASK_ROOT: taskRoot,
    TZ: ':UTC',
  };
}

/** One cold start in a fresh Node.js process. */
function coldStart(bundle: Bundle, spec: FunctionSpec): Promise<ColdStart> {
  const cwd = path.dirname(bundle.file);
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', CHILD_SOURCE, '--', pathToFileURL(bundle.file).href, bundle.exportName],
    { cwd, env: lambdaEnv(spec, cwd), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let result: ColdStart | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Timed at the line's arrival, before parsing: this process is otherwise idle.
      if (!result && stdout.includes('\n')) {
        const totalMs = performance.now() - started;
        result = { importMs: (JSON.parse(stdout) as { importMs: number }).importMs, totalMs };
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    // The next measurement starts only once this process is gone: two cores, nothing else running.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (result && code === 0) resolve(result);
      else reject(new InitError(`exit ${code ?? signal}\n${stderr.trim() || '(nothing on stderr)'}`));
    });
  });
}

/**
 * RUNS cold starts of every function and its baseline, after one unrecorded pass (files into the
 * page cache). Each run visits every function in turn, so each one's figures spread over the whole
 * benchmark, and a pair swaps its order every run, so neither side is always second. A function
 * whose init fails (as it would on Lambda) is reported as such; a failing baseline is a bug here.
 */
async function measure(subjects: Subject[]): Promise<Map<Subject, Outcome>> {
  const samples = new Map(subjects.map((subject) => [subject, { fn: [] as ColdStart[], baseline: [] as ColdStart[] }]));
  const failed = new Map<Subject, string>();
  for (let run = 0; run <= RUNS; run++) {
    for (const [subject, recorded] of samples) {
      if (failed.has(subject)) continue;
      const order = run % 2 === 0 ? (['fn', 'baseline'] as const) : (['baseline', 'fn'] as const);
      for (const side of order) {
        try {
          const sample = await coldStart(subject[side], subject.spec);
          if (run > 0) recorded[side].push(sample);
        } catch (error) {
          if (side === 'baseline' || !(error instanceof InitError)) throw error;
          failed.set(subject, error.message);
          break;
        }
      }
    }
  }
  const medians = (values: ColdStart[]) => ({
    importMs: median(values.map((value) => value.importMs)),
    totalMs: median(values.map((value) => value.totalMs)),
  });
  return new Map(
    [...samples].map(([subject, { fn, baseline }]): [Subject, Outcome] => {
      const initError = failed.get(subject);
      return [subject, initError === undefined ? { fn: medians(fn), baseline: medians(baseline) } : { initError }];
    }),
  );
}

// --- the report ----------------------------------------------------------------------------------

function sdkSummary(sdk: SdkImport[]): string {
  if (!sdk.length) return '(no SDK: empty baseline)';
  return sdk.map((entry) => entry.module.replace('@aws-sdk/', '')).join(', ');
}

/** `load`: the 1-minute load average before and after the measurements (other work on the machine skews them). */
function report(subjects: Subject[], outcomes: Map<Subject, Outcome>, captureLabel: string | undefined, load: [number, number]): void {
  const width = Math.max(...subjects.map((subject) => subject.label.length), 'function'.length);
  const cpu = os.cpus();
  console.log(
    `function bundles and cold starts, each beside a baseline bundle of only its AWS SDK clients (median of ${RUNS} fresh Node.js processes each, alternated)`,
  );
  console.log(
    `  ${new Date().toISOString()}, Node.js ${process.version} on ${os.platform()} ${os.arch()}, ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${load.map((value) => value.toFixed(1)).join(' -> ')} (Lambda runs ${subjects[0]?.spec.runtime ?? '?'})`,
  );
  console.log(
    '  import: `await import()` of the bundle inside the child; cold start: spawn to handler ready, Node.js start included (~ Init Duration)',
  );
  console.log(
    `  ${'function'.padEnd(width)}  ${'bundle KB'.padStart(9)}  ${'base KB'.padStart(7)}  ${'import ms fn / base'.padStart(19)}  ${'cold start ms fn / base'.padStart(23)}  ${'ratio'.padStart(5)}  budget  SDK`,
  );
  const over: string[] = [];
  const failed: Array<[string, string]> = [];
  const pair = (a: number, b: number, width: number) => `${a.toFixed(1).padStart(6)} / ${b.toFixed(1).padStart(6)}`.padStart(width);
  for (const [subject, outcome] of outcomes) {
    const sizes = `${subject.label.padEnd(width)}  ${subject.fn.kb.toFixed(1).padStart(9)}  ${subject.baseline.kb.toFixed(1).padStart(7)}`;
    if ('initError' in outcome) {
      failed.push([subject.label, outcome.initError]);
      console.log(`  ${sizes}  ${'init failed (below)'.padEnd(19 + 2 + 23 + 2 + 5)}  FAILED  ${sdkSummary(subject.sdk)}`);
      continue;
    }
    const { fn, baseline } = outcome;
    // Judged as printed, so that a row never reads "1.30 OVER".
    const ratio = Number((fn.totalMs / baseline.totalMs).toFixed(2));
    if (ratio > COLD_START_BUDGET_RATIO) over.push(subject.label);
    console.log(
      `  ${sizes}  ${pair(fn.importMs, baseline.importMs, 19)}  ${pair(fn.totalMs, baseline.totalMs, 23)}  ${ratio.toFixed(2).padStart(5)}  ${(ratio <= COLD_START_BUDGET_RATIO ? 'ok' : 'OVER').padEnd(6)}  ${sdkSummary(subject.sdk)}`,
    );
  }
  const measured = subjects.length - failed.length;
  console.log(
    `  ratio: cold start fn / baseline (aim <= ${COLD_START_BUDGET_RATIO}): ${measured - over.length} of ${measured} within${over.length ? `; over: ${over.join(', ')}` : ''}`,
  );
  const capture = subjects.find((subject) => subject.label === captureLabel);
  if (capture) {
    const within = capture.fn.kb < CAPTURE_BUDGET_KB;
    console.log(
      `  capture bundle (functions/${CAPTURE_ENTRY}.ts, ${capture.label}): ${capture.fn.kb.toFixed(1)} KB (aim < ${CAPTURE_BUDGET_KB} KB): ${within ? 'ok' : 'OVER'}`,
    );
  } else {
    console.log(`  capture bundle: no function of the assembly has functions/${CAPTURE_ENTRY}.ts as its entry (by its construct id)`);
  }
  for (const [label, error] of failed) {
    const [exit, ...stack] = error.split('\n');
    const shown = stack.length > 12 ? [...stack.slice(0, 12), '...'] : stack;
    console.log(`  ${label} failed its init (${exit}), as it would on Lambda:`);
    for (const line of shown) console.log(`      ${line.length > 160 ? `${line.slice(0, 160)}...` : line}`);
  }
  for (const subject of subjects.filter((subject) => subject.lazySdk.length)) {
    console.log(`  note: ${subject.label} loads ${subject.lazySdk.join(', ')} on demand (not in its baseline: not part of its init)`);
  }
}

// --- main --------------------------------------------------------------------------------------

const dataDir = scratchDataDir('bench-bundles');
try {
  const synthStarted = performance.now();
  const assemblyDir = await synthesize(path.join(dataDir, 'cdk.out'));
  const assembly = readAssembly(assemblyDir, STACK_NAME);
  console.log(`synthesized ${assembly.functions.length} functions in ${((performance.now() - synthStarted) / 1000).toFixed(1)} s`);

  let captureLabel: string | undefined;
  const subjects: Subject[] = [];
  for (const spec of assembly.functions) {
    const { label, entry } = labelOf(spec);
    if (entry === CAPTURE_ENTRY) captureLabel = label;
    const fn = bundleOf(spec);
    const { sdk, lazy } = sdkImportsOf(readFileSync(fn.file, 'utf8'));
    const baseline = await buildBaseline(path.join(dataDir, 'baselines', spec.logicalId), baselineSource(sdk));
    subjects.push({ label, spec, fn, baseline, sdk, lazySdk: lazy });
  }
  const loadBefore = itemAt(os.loadavg(), 0);
  const outcomes = await measure(subjects);
  report(subjects, outcomes, captureLabel, [loadBefore, itemAt(os.loadavg(), 0)]);
} finally {
  if (KEEP) console.log(`kept ${dataDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
}
