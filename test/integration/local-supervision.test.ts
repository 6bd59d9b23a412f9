import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';
import { scratchDataDir } from '../../local/local-aws';
import { eventually, uniqueEmail } from './helpers';

/**
 * A child service dies under load: DynamoDB Local is SIGKILLed while captures arrive. `/health`
 * answers 503 naming dynamodb while it is down, the supervisor brings it back on the same port
 * with the same data, `/health` is 200 again, and every capture that was accepted is still there.
 * Its own cloud with persistent data (an in-memory table would come back empty, by design).
 */
const dataDir = scratchDataDir('supervision');
let cloud: LocalCloud | undefined;

beforeAll(async () => {
  cloud = await startLocalCloud({ dataDir, apiPort: 0, sitePort: 0, dynamoPort: 0, log: () => {} });
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Health {
  status: string;
  dependencies: Record<string, { status: string; latencyMs: number; error?: string }>;
}

async function health(): Promise<{ status: number; body: Health }> {
  const response = await fetch(`${cloud!.apiUrl}/health`);
  return { status: response.status, body: (await response.json()) as Health };
}

async function services(): Promise<{ dynamodb: { pid: number | null; restarts: number }; ses: { restarts: number } }> {
  return (await fetch(`${cloud!.controlUrl}/services`)).json() as never;
}

async function captureKeyed(email: string): Promise<Response> {
  return fetch(`${cloud!.apiUrl}/v1/forms/default/submissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cloud!.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, firstName: 'Kim' }),
  });
}

describe('supervised child services', () => {
  it('reports every dependency with its latency', async () => {
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      dependencies: { dynamodb: { status: 'ok', latencyMs: expect.any(Number) }, ses: { status: 'ok', latencyMs: expect.any(Number) } },
    });
  });

  it('restarts DynamoDB Local killed under load; /health tells the truth meanwhile; accepted captures are kept', async () => {
    const { dynamodb } = await services();
    expect(dynamodb.pid).toEqual(expect.any(Number));

    // Load: captures one after another (four at a time) until stopped, each remembered with its answer.
    const accepted: Array<{ leadId: string; email: string }> = [];
    const statuses: number[] = [];
    let loading = true;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let sent = 0; loading && sent < 500; sent++) {
          const email = uniqueEmail('load');
          const response = await captureKeyed(email).catch(() => undefined);
          statuses.push(response?.status ?? 0);
          if (response?.status === 202) accepted.push({ leadId: ((await response.json()) as { leadId: string }).leadId, email });
        }
      }),
    );
    await eventually('some captures', () => Promise.resolve(accepted.length >= 20 ? true : undefined));

    process.kill(dynamodb.pid!, 'SIGKILL');
    const down = await eventually('health to say dynamodb is down', async () => {
      const answer = await health();
      return answer.status === 503 ? answer : undefined;
    });
    expect(down.body).toMatchObject({ status: 'unavailable', dependencies: { dynamodb: { status: 'down' }, ses: { status: 'ok' } } });

    const up = await eventually(
      'health to be 200 again',
      async () => {
        const answer = await health();
        return answer.status === 200 ? answer : undefined;
      },
      90_000,
    );
    expect(up.body.status).toBe('ok');
    // Reported once the tables are checked too, just after the new process answers.
    const after = await eventually('the restart reported', async () => {
      const now = await services();
      return now.dynamodb.restarts > 0 ? now : undefined;
    });
    expect(after.dynamodb.restarts).toBe(1);
    expect(after.dynamodb.pid).not.toBe(dynamodb.pid);
    // Captures go on being accepted after the restart.
    const acceptedBefore = accepted.length;
    await eventually('captures accepted again', () => Promise.resolve(accepted.length >= acceptedBefore + 10 ? true : undefined), 60_000);
    loading = false;
    await load;

    // While it was down, captures were refused (never a 202 that was not stored): every 202 has its lead.
    expect(statuses.some((status) => status !== 202)).toBe(true);
    const missing: string[] = [];
    for (const { leadId } of accepted) {
      const response = await fetch(`${cloud!.apiUrl}/v1/leads/${leadId}`, { headers: { authorization: `Bearer ${cloud!.adminKey}` } });
      if (response.status !== 200) missing.push(`${leadId}: ${response.status}`);
    }
    console.log(`supervision: ${accepted.length} captures accepted, ${statuses.filter((s) => s !== 202).length} refused while down`);
    expect(missing).toEqual([]);
  }, 300_000);

  it('restarts the SES emulator that stopped', async () => {
    expect((await fetch(`${cloud!.controlUrl}/services/ses/crash`, { method: 'POST' })).status).toBe(204);
    await eventually('the SES restart', async () => ((await services()).ses.restarts === 1 ? true : undefined));
    await eventually('health 200', async () => ((await health()).status === 200 ? true : undefined));
  });
});
