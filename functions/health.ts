import { httpHandler } from './shared/http';

const startedAt = new Date().toISOString();

/** GET /health: liveness, no dependencies touched. */
export const handler = httpHandler(() =>
  Promise.resolve({
    status: 200,
    json: { status: 'ok', service: 'leadflow', startedAt },
    headers: { 'cache-control': 'no-store' },
  }),
);
