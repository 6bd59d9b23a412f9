import { parseScoringRules } from '../core/scoring';
import { httpHandler } from './shared/http';
import { getActiveRules, publishRules } from './shared/rules-repository';

/**
 * PUT /v1/scoring/rules publishes a new rules version (a bad document is a 400 naming the bad
 * rule; a reused version a 409); GET returns the active one (admin).
 */
export const handler = httpHandler(
  async (request) => {
    if (request.method === 'GET') return { status: 200, json: await getActiveRules({ fresh: true }) };
    const rules = parseScoringRules(request.body);
    await publishRules(rules, request.apiKey?.name ?? 'unknown', new Date());
    return { status: 200, json: { version: rules.version, published: true, rescore: 'POST /v1/scoring/rescore to rescore every lead' } };
  },
  { body: 'json' },
);
