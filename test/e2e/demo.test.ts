import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../local/local-aws';

/**
 * `npm run demo` as a newcomer runs it, smaller: its own local cloud on a fast-forward clock, a
 * month of 80 leads in 20 s told through the API, the KPIs printed, then (`--exit`) stopped.
 */
function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'local/demo.ts', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo', () => {
  it('tells a month of sales through the API, loses no lead and ends with the KPIs and where to look', async () => {
    const { code, stdout, stderr } = await runDemo(['--leads', '80', '--seconds', '20', '--port', '0', '--exit']);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    // Every lead captured is in the month's metrics, and no API call failed.
    expect(stdout).toMatch(/^leads\s+80$/m);
    expect(stdout).toMatch(/ 0 failed;/);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    expect(stdout).toContain(`A month of sales, ${day(Date.now() - 30 * 86_400_000)} to ${day(Date.now())}`);
    // A funnel: some leads were qualified and worked, emails went out and were opened.
    expect(Number(/^qualified\s+(\d+)$/m.exec(stdout)?.[1])).toBeGreaterThan(0);
    expect(Number(/^emails sent\s+(\d+)$/m.exec(stdout)?.[1])).toBeGreaterThan(0);
    expect(stdout).toMatch(/^source\s+leads\s+qualified\s+won$/m);
    expect(stdout).toMatch(/Dashboard\s+http:\/\/127\.0\.0\.1:\d+\/dashboard/);
    expect(stdout).toMatch(/Mailbox\s+http:\/\/127\.0\.0\.1:\d+/);
    // The progress went to stderr, the report to stdout.
    expect(stderr).toMatch(/day \d+\/30/);
  }, 300_000);
});
