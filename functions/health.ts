import { GetAccountCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../core/keys';
import { httpHandler } from './shared/http';
import { documents, tableEnv } from './shared/table';

const startedAt = new Date().toISOString();
/** A probe slower than this counts as down: a health check must answer quickly, whatever it waits on. */
const PROBE_TIMEOUT_MS = 1_000;
/** A verdict is reused this long, so a busy health check costs its dependencies a probe every few seconds at most. */
const VERDICT_TTL_MS = 2_000;

const ses = new SESv2Client({ maxAttempts: 1 });

interface Dependency {
  status: 'ok' | 'down';
  latencyMs: number;
  /** The error's name when down (never its message: a 5xx does not echo internals). */
  error?: string;
}

type Verdict = { at: number; dependencies: Record<'dynamodb' | 'ses', Dependency> };
let cached: Promise<Verdict> | undefined;
let cachedAt = 0;

/** Times one probe; down when it throws or outlasts PROBE_TIMEOUT_MS. */
async function probe(run: (signal: AbortSignal) => Promise<unknown>): Promise<Dependency> {
  const started = performance.now();
  try {
    await run(AbortSignal.timeout(PROBE_TIMEOUT_MS));
    return { status: 'ok', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: (error as Error).name };
  }
}

async function check(): Promise<Verdict> {
  const [dynamodb, email] = await Promise.all([
    // A consistent read of one (absent) item: the cheapest request the table must really answer.
    probe((abortSignal) =>
      documents.send(new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.health(), ConsistentRead: true }), { abortSignal }),
    ),
    probe((abortSignal) => ses.send(new GetAccountCommand({}), { abortSignal })),
  ]);
  return { at: Date.now(), dependencies: { dynamodb, ses: email } };
}

/** GET /health: each dependency with its status and latency; 503 while one is down. */
export const handler = httpHandler(async () => {
  if (!cached || Date.now() - cachedAt > VERDICT_TTL_MS) {
    cachedAt = Date.now();
    cached = check();
  }
  const { dependencies } = await cached;
  const up = Object.values(dependencies).every((dependency) => dependency.status === 'ok');
  return {
    status: up ? 200 : 503,
    json: { status: up ? 'ok' : 'unavailable', service: 'leadflow', startedAt, dependencies },
    headers: { 'cache-control': 'no-store', ...(!up && { 'retry-after': '5' }) },
  };
});
