import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assemblyKey } from '../../local/synth';

/** The key under which a synthesized assembly is reused: any change to the app's files or context is a new one. */
describe('assemblyKey', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function app(files: Record<string, string>): string {
    const root = mkdtempSync(path.join(tmpdir(), 'leadflow-key-'));
    roots.push(root);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    return root;
  }
  const sources = ['infra', 'functions', 'cdk.json'];
  const files = { 'infra/app.ts': 'app', 'functions/capture.ts': 'capture', 'cdk.json': '{}' };

  it('is the same for the same files and context', () => {
    expect(assemblyKey({ a: 1 }, app(files), sources)).toBe(assemblyKey({ a: 1 }, app(files), sources));
  });

  it('changes with a file, a new file, a renamed file or the context', () => {
    const base = assemblyKey({}, app(files), sources);
    expect(assemblyKey({}, app({ ...files, 'functions/capture.ts': 'capture2' }), sources)).not.toBe(base);
    expect(assemblyKey({}, app({ ...files, 'functions/new.ts': '' }), sources)).not.toBe(base);
    const { 'functions/capture.ts': capture, ...rest } = files;
    expect(assemblyKey({}, app({ ...rest, 'functions/capture2.ts': capture }), sources)).not.toBe(base);
    expect(assemblyKey({ campaignSendRate: 10 }, app(files), sources)).not.toBe(base);
  });

  it('ignores what is not the app: other folders and node_modules', () => {
    const base = assemblyKey({}, app(files), sources);
    expect(assemblyKey({}, app({ ...files, 'test/x.test.ts': 'x', 'infra/node_modules/dep/index.js': 'x' }), sources)).toBe(base);
  });
});
