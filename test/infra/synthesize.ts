import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../../infra/app';
import type { LeadflowStack } from '../../infra/leadflow-stack';

/** CDK's own context key: the stacks whose assets are bundled (none: the functions' code is not built). */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export interface Synthesized {
  stack: LeadflowStack;
  /** The cloud assembly directory (bundled code under `asset.<hash>/` when bundled). */
  outdir: string;
}

/**
 * The app built and synthesized as `cdk synth` does it, cdk-nag's AwsSolutions checks included
 * (synth throws on any unacknowledged finding). Bundling the functions is nearly all of the time
 * (about a minute for 38 functions on 2 cores, against 3 s without), and the template does not
 * depend on it except for the asset hashes: only a test that reads bundled code asks for it.
 */
export function synthesize(context: Record<string, unknown> = {}, options: { bundle?: boolean } = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'leadflow-infra-'));
  const { app, stack } = buildApp({ outdir, context: options.bundle ? context : { ...NO_BUNDLING, ...context } });
  app.synth();
  return { stack, outdir };
}
