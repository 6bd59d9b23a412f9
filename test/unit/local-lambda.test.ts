import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FunctionSpec } from '../../local/assembly';
import { fastForwardClock } from '../../local/clock';
import { LambdaError, LocalFunction } from '../../local/lambda';

const dir = mkdtempSync(path.join(os.tmpdir(), 'leadflow-lambda-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A bundle that does what the event asks, to drive the runtime's paths. */
writeFileSync(
  path.join(dir, 'index.mjs'),
  `let waiting;
export async function handler(event, context) {
  switch (event.action) {
    case 'echo':
      return { event, requestId: context.awsRequestId, name: context.functionName, remaining: context.getRemainingTimeInMillis() };
    case 'env':
      return { table: process.env.TABLE_NAME, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, others: process.env.AWS_ENDPOINT_URL, name: process.env.AWS_LAMBDA_FUNCTION_NAME, region: process.env.AWS_REGION };
    case 'clock':
      return { now: Date.now(), date: new Date().toISOString(), parsed: new Date('2020-01-01T00:00:00Z').toISOString(), remaining: context.getRemainingTimeInMillis() };
    case 'throw':
      throw new TypeError('bad input');
    case 'hang':
      return new Promise(() => {});
    case 'crash':
      setTimeout(() => { throw new Error('boom'); });
      return new Promise(() => {});
    case 'meet':
      // The first call waits for the second: both finish only if one worker runs them together.
      if (!waiting) return new Promise((resolve) => (waiting = resolve));
      waiting('first');
      return 'second';
  }
}
`,
);
writeFileSync(path.join(dir, 'broken.mjs'), `throw new Error('missing configuration');\n`);

const spec = (overrides: Partial<FunctionSpec> = {}): FunctionSpec => ({
  logicalId: 'Fn',
  constructPath: 'Test/Fn',
  name: 'App-Fn',
  arn: 'arn:aws:lambda:us-east-1:000000000000:function:App-Fn',
  runtime: 'nodejs24.x',
  codeDir: dir,
  handler: 'index.handler',
  timeoutSeconds: 5,
  memorySize: 128,
  environment: { TABLE_NAME: 'App-Table' },
  ...overrides,
});

async function withFunction(overrides: Partial<FunctionSpec>, run: (fn: LocalFunction, logs: string[]) => Promise<void>) {
  const logs: string[] = [];
  const fn = new LocalFunction(spec(overrides), { endpoints: { DYNAMODB: 'http://127.0.0.1:8000' }, log: (line) => logs.push(line) });
  try {
    await run(fn, logs);
  } finally {
    await fn.stop();
  }
}

describe('LocalFunction', () => {
  it('invokes the handler with the event and a Lambda context', async () => {
    await withFunction({}, async (fn) => {
      const result = (await fn.invoke({ action: 'echo', n: 1 })) as Record<string, unknown>;
      expect(result).toMatchObject({ event: { action: 'echo', n: 1 }, name: 'App-Fn', requestId: expect.any(String) });
      expect(result.remaining).toBeGreaterThan(0);
    });
  });

  it('runs the bundle with its own environment plus the runtime and emulator variables', async () => {
    await withFunction({}, async (fn) => {
      expect(await fn.invoke({ action: 'env' })).toEqual({
        table: 'App-Table',
        endpoint: 'http://127.0.0.1:8000',
        // Services not emulated go nowhere, never to AWS.
        others: 'http://127.0.0.1:9',
        name: 'App-Fn',
        region: 'us-east-1',
      });
    });
  });

  it('serves concurrent invocations in one worker', async () => {
    await withFunction({}, async (fn) => {
      expect(await Promise.all([fn.invoke({ action: 'meet' }), fn.invoke({ action: 'meet' })])).toEqual(['first', 'second']);
    });
  });

  it('reports a thrown error as a Lambda error and logs it', async () => {
    await withFunction({}, async (fn, logs) => {
      const error = await fn.invoke({ action: 'throw' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LambdaError);
      expect(error).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad input' });
      expect(logs).toContain('[Test/Fn] ERROR TypeError: bad input');
    });
  });

  it('times out after the template timeout, then serves the next invocation from a fresh worker', async () => {
    await withFunction({ timeoutSeconds: 0.2 }, async (fn) => {
      await expect(fn.invoke({ action: 'hang' })).rejects.toMatchObject({
        errorType: 'Sandbox.Timedout',
        errorMessage: 'Task timed out after 0.20 seconds',
      });
      expect(await fn.invoke({ action: 'env' })).toMatchObject({ table: 'App-Table' });
    });
  });

  it('fails the invocations of a crashed worker and restarts it', async () => {
    await withFunction({}, async (fn) => {
      await expect(fn.invoke({ action: 'crash' })).rejects.toMatchObject({ errorType: 'Runtime.ExitError' });
      expect(await fn.invoke({ action: 'env' })).toMatchObject({ table: 'App-Table' });
    });
  });

  it('reports a failed init as the invocation error and retries the init on the next invocation', async () => {
    await withFunction({ handler: 'broken.handler' }, async (fn, logs) => {
      await expect(fn.invoke({})).rejects.toMatchObject({ errorType: 'Error', errorMessage: 'missing configuration' });
      await expect(fn.invoke({})).rejects.toMatchObject({ errorType: 'Error', errorMessage: 'missing configuration' });
      expect(logs.filter((line) => line === '[Test/Fn] init failed: Error: missing configuration')).toHaveLength(2);
    });
    await withFunction({ handler: 'index.missing' }, async (fn) => {
      await expect(fn.invoke({})).rejects.toMatchObject({ errorType: 'Runtime.HandlerNotFound' });
    });
  });

  it('reads a fast-forward clock from Date: still at its start until started, then running at its scale', async () => {
    const from = Date.parse('2026-11-01T00:00:00Z');
    const clock = fastForwardClock({ from: new Date(from), until: new Date(from + 30 * 86_400_000), scale: 43_200 });
    const fn = new LocalFunction(spec(), { endpoints: {}, log: () => {}, fastForward: clock.fastForward });
    try {
      const before = (await fn.invoke({ action: 'clock' })) as { now: number; date: string; parsed: string; remaining: number };
      expect(before.now).toBe(from);
      expect(before.date).toBe('2026-11-01T00:00:00.000Z');
      // Dates the code names are left alone, and the deadline is real time (5 s, not 5 s of business time).
      expect(before.parsed).toBe('2020-01-01T00:00:00.000Z');
      expect(before.remaining).toBeGreaterThan(1_000);
      expect(before.remaining).toBeLessThanOrEqual(5_000);
      clock.start();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const after = (await fn.invoke({ action: 'clock' })) as { now: number };
      // 100 ms at 43,200x is 72 minutes; the worker and the host read the same time.
      expect(after.now - from).toBeGreaterThan(60 * 60_000);
      expect(Math.abs(after.now - clock.now())).toBeLessThan(20 * 43_200);
    } finally {
      await fn.stop();
    }
  });
});
