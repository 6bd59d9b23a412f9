import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultScoringRules, gradeFor, grades, scoreLead, sumPoints, type Score, type ScoreLine } from '../../core/scoring';
import { admin, adminKey, apiUrl, eventually, json, postJson, uniqueEmail, keyed, unknownLeadId } from './helpers';

/**
 * The scoring API in the shared local cloud: explainable scores at capture, engagement events,
 * bad input, and publishing a rules version followed by a rescore of every lead.
 *
 * Rules are shared by every test file: the version published here only raises one rule's points
 * (qualification thresholds untouched), and afterAll publishes the default content back under a
 * new version.
 */

type Lead = { leadId: string; stage: string; version: number; engagement: unknown[]; score: Score };
type Entry = { entryId: string; type: string; actor: string; at: string; data: Record<string, unknown> };
/** A rules document as the API serves it, held loosely: the tests edit it into bad documents on purpose. */
type RulesDocument = { version: string; rules: Array<Record<string, unknown>>; weights: Record<string, unknown>; routing: unknown };

/** Strong BANT and ICP fit: fit 97 under the default rules. */
const strongProfile = {
  firstName: 'Grace',
  lastName: 'Hopper',
  company: 'Hopper Systems',
  jobTitle: 'VP Engineering',
  companySize: '201-1000',
  industry: 'Software',
  country: 'United States',
  budget: '$25k-$100k',
  timeline: 'This quarter',
  message: 'Our pipeline reporting is manual; we need forecasting.',
};
/** Middling fit, far from the caps, so engagement and rule changes move it exactly: fit 56, total 39.2. */
const middleProfile = {
  firstName: 'Max',
  lastName: 'Mustermann',
  company: 'Muster GmbH',
  jobTitle: 'Sales Manager',
  companySize: '51-200',
  industry: 'Software',
  country: 'Germany',
  budget: '$5k-$25k',
  timeline: 'This year',
  message: 'We need a CRM',
};

/** Every lead this file creates, so the rescore can be checked to have covered them. */
const created: string[] = [];

async function capture(body: Record<string, unknown>): Promise<string> {
  const response = await postJson('default', body, keyed());
  expect(response.status).toBe(202);
  const { leadId } = await json(response);
  created.push(leadId);
  return leadId;
}

async function getLead(leadId: string): Promise<Lead> {
  const response = await admin('GET', `/v1/leads/${leadId}`);
  expect(response.status).toBe(200);
  return json(response);
}

async function history(leadId: string): Promise<Entry[]> {
  const response = await admin('GET', `/v1/leads/${leadId}/history?limit=500`);
  expect(response.status).toBe(200);
  return (await json(response)).entries;
}

/**
 * The entries scoring writes. The lead's workflow keeps adding its own meanwhile (a nurture
 * re-check every 30 scaled days is every 3 s in the test cloud), so comparisons leave those out.
 */
async function scoringHistory(leadId: string): Promise<Entry[]> {
  return (await history(leadId)).filter((entry) => entry.type === 'engagement' || entry.type === 'score_changed');
}

/** POST /v1/leads/{leadId}/events; `key` null sends no Authorization header. */
function postEvent(
  leadId: string,
  body: unknown,
  headers: Record<string, string> = {},
  key: string | null = adminKey(),
): Promise<Response> {
  return fetch(`${apiUrl()}/v1/leads/${leadId}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The route-lead step changes a new lead's stage; wait for it so nothing else writes the lead later. */
async function routed(leadId: string): Promise<Lead> {
  return eventually(
    `lead ${leadId} routed`,
    async () => {
      const lead = await getLead(leadId);
      return lead.stage !== 'new' ? lead : undefined;
    },
    45_000,
  );
}

/** The invariants every stored score must hold, whatever the rules. */
function expectExplainable(
  score: Score,
  rules: { grades: typeof defaultScoringRules.grades; weights: typeof defaultScoringRules.weights },
) {
  const lines = (category: ScoreLine['category']) => score.breakdown.filter((line) => line.category === category);
  expect(sumPoints(lines('fit').map((line) => line.points))).toBe(score.fit);
  expect(sumPoints(lines('engagement').map((line) => line.points))).toBe(score.engagement);
  for (const value of [score.fit, score.engagement, score.total]) {
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(100);
  }
  // total = fit * weights.fit + engagement * weights.engagement, rounded to 0.1.
  expect(score.weights).toEqual(rules.weights);
  expect(Math.abs(score.total - (score.fit * rules.weights.fit + score.engagement * rules.weights.engagement))).toBeLessThanOrEqual(
    0.05 + 1e-9,
  );
  expect(grades).toContain(score.grade);
  expect(score.grade).toBe(gradeFor(score.total, rules.grades));
  for (const line of score.breakdown) {
    expect(line.reason).not.toMatch(/undefined|NaN|\[object /);
    // A rule's line reads as its label, a colon and the evidence; a clamp line says what it clamped.
    if (line.kind === 'clamp') {
      expect(line.reason).toMatch(/^(fit|engagement) (is capped at 100|cannot go below 0) \(rules added -?\d+(\.\d)?\)$/);
    } else {
      const label = defaultScoringRules.rules.find((rule) => rule.id === line.ruleId)?.label;
      expect(label, line.ruleId).toBeDefined();
      expect(line.reason.startsWith(`${label}: `), line.reason).toBe(true);
      expect(line.reason.length).toBeGreaterThan(`${label}: `.length);
    }
  }
}

describe('an explainable score at capture', () => {
  it('scores a captured lead with the default rules; the breakdown adds up and every line says why', async () => {
    const email = uniqueEmail('scored');
    const leadId = await capture({ email, ...strongProfile });
    const lead = await getLead(leadId);
    const { score } = lead;

    expect(score.rulesVersion).toBe(defaultScoringRules.version);
    expect(score).toMatchObject({ fit: 97, engagement: 0, total: 67.9, grade: 'B' });
    expectExplainable(score, defaultScoringRules);
    const reasons = Object.fromEntries(score.breakdown.map((line) => [line.ruleId, line.reason]));
    expect(reasons).toEqual({
      budget: 'BANT budget: budget is "$25k-$100k"',
      'authority-executive': 'BANT authority, decision maker (C-level, VP, Head, Director): job title contains "VP"',
      need: 'BANT need: message mentions "pipeline", "reporting", "forecast*"',
      timeline: 'BANT timeline: timeline is "This quarter"',
      'icp-industry-core': 'ICP core industry: industry "Software" is listed',
      'icp-company-size': 'ICP company size: company size is "201-1000"',
      'icp-country': 'ICP served market: country "United States" is listed',
    });
    // Same lead, events, rules and time: the pure engine gives exactly the stored score.
    expect(scoreLead(lead as never, [], defaultScoringRules, new Date(score.scoredAt))).toEqual(score);
  });

  it('explains a low score too: negative rules and the floor line bring fit back to 0, grade D', async () => {
    const leadId = await capture({
      email: `student-${randomUUID()}@gmail.com`,
      jobTitle: 'Student',
      message: 'Is there an internship? It is for my thesis.',
    });
    const { score } = await getLead(leadId);
    expect(score.rulesVersion).toBe(defaultScoringRules.version);
    expect(score).toMatchObject({ fit: 0, engagement: 0, total: 0, grade: 'D' });
    expectExplainable(score, defaultScoringRules);
    expect(score.breakdown.map((line) => [line.ruleId, line.points])).toEqual([
      ['student', -40],
      ['not-a-buyer', -30],
      ['free-mail', -15],
      ['floor:fit', 85],
    ]);
    expect(score.breakdown.at(-1)!.reason).toBe('fit cannot go below 0 (rules added -85)');
  });
});

describe('engagement events', () => {
  let leadId: string;

  it('an email click and a meeting raise engagement and total; history records the events and the score changes', async () => {
    leadId = await capture({ email: uniqueEmail('engaged'), ...middleProfile });
    // Routed first, so the lead's version only moves with the events below.
    const before = (await routed(leadId)).score;
    expect(before).toMatchObject({ fit: 56, engagement: 0, total: 39.2, grade: 'C' });

    const click = await postEvent(leadId, { type: 'email_click', properties: { campaign: 'launch', url: 'https://example.com/x' } });
    expect(click.status).toBe(202);
    const afterClick = await json(click);
    expect(afterClick).toEqual({ leadId, score: { total: 40.7, grade: 'C', fit: 56, engagement: 5 } });

    const meeting = await postEvent(leadId, { type: 'meeting', at: new Date().toISOString() });
    expect(meeting.status).toBe(202);
    const afterMeeting = (await json(meeting)).score;
    expect(afterMeeting).toEqual({ total: 48.2, grade: 'C', fit: 56, engagement: 30 });

    const lead = await getLead(leadId);
    expect(lead.score).toMatchObject(afterMeeting);
    expect(lead.score.rulesVersion).toBe(defaultScoringRules.version);
    expectExplainable(lead.score, defaultScoringRules);
    const engagementLines = lead.score.breakdown.filter((line) => line.category === 'engagement');
    expect(engagementLines.map((line) => [line.ruleId, line.points])).toEqual([
      ['email-clicks', 5],
      ['meetings', 25],
    ]);
    expect(engagementLines[0]!.reason).toBe('Email clicks: 1 × email_click at 5 points each, 5 after 14-day half-life decay');
    expect(engagementLines[1]!.reason).toBe('Meetings: 1 × meeting at 25 points each, 25 after 60-day half-life decay');
    expect(lead.engagement).toHaveLength(2);

    const trail = await scoringHistory(leadId);
    const engagements = trail.filter((entry) => entry.type === 'engagement');
    expect(engagements.map((entry) => entry.data.type)).toEqual(['email_click', 'meeting']);
    expect(engagements[0]).toMatchObject({ actor: 'api-key:local-admin', data: { properties: { campaign: 'launch' } } });
    const changes = trail.filter((entry) => entry.type === 'score_changed');
    expect(changes.map((entry) => entry.actor)).toEqual(['api-key:local-admin', 'api-key:local-admin']);
    expect(changes.map((entry) => entry.data)).toEqual([
      {
        from: { total: 39.2, grade: 'C' },
        to: { total: 40.7, grade: 'C' },
        rulesVersion: defaultScoringRules.version,
        cause: 'email_click',
      },
      { from: { total: 40.7, grade: 'C' }, to: { total: 48.2, grade: 'C' }, rulesVersion: defaultScoringRules.version, cause: 'meeting' },
    ]);
  });

  it('counts an event retried with the same Idempotency-Key once', async () => {
    const key = `evt-${randomUUID()}`;
    const body = { type: 'page_visit', properties: { path: '/pricing' } };
    const first = await postEvent(leadId, body, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    const answer = await json(first);
    // A pricing visit is a page visit (1) and a pricing-page visit (5): engagement 36, total 50. Grade B from 50.
    expect(answer.score).toEqual({ total: 50, grade: 'B', fit: 56, engagement: 36 });
    const lead = await getLead(leadId);
    const trail = await scoringHistory(leadId);

    const retry = await postEvent(leadId, body, { 'idempotency-key': key });
    expect(retry.status).toBe(202);
    expect(await json(retry)).toEqual(answer);
    const again = await getLead(leadId);
    expect(again.version).toBe(lead.version);
    expect(again.score).toEqual(lead.score);
    expect(again.engagement).toHaveLength(3);
    expect(await scoringHistory(leadId)).toEqual(trail);

    // The key belongs to that event: another body with it is refused, and changes nothing.
    const reused = await postEvent(leadId, { type: 'reply' }, { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect((await json(reused)).error.code).toBe('idempotency_key_reused');
    expect((await getLead(leadId)).version).toBe(lead.version);
  });

  it('counts the same event sent 5 times at once with one Idempotency-Key once', async () => {
    const before = await getLead(leadId);
    const key = `evt-${randomUUID()}`;
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => postEvent(leadId, { type: 'email_open' }, { 'idempotency-key': key })),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(5).fill(202));
    const answers = await Promise.all(responses.map((response) => json(response)));
    // Equal answers (the replayed body's keys come back from DynamoDB in another order, so compare parsed).
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0].score.engagement).toBe(before.score.engagement + 2);
    const after = await getLead(leadId);
    expect(after.engagement).toHaveLength(before.engagement.length + 1);
    expect(after.version).toBe(before.version + 1);
    expect((await scoringHistory(leadId)).filter((entry) => entry.type === 'engagement')).toHaveLength(before.engagement.length + 1);
  });

  it('refuses bad events, unknown leads and missing or insufficient keys, and changes nothing', async () => {
    const before = await getLead(leadId);
    const trailBefore = await scoringHistory(leadId);
    const tooMany = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, i]));

    const invalid: Array<{ name: string; body: unknown; path?: string }> = [
      { name: 'unknown type', body: { type: 'telepathy' }, path: 'type' },
      { name: 'no type', body: { properties: { a: 1 } }, path: 'type' },
      { name: 'bad at', body: { type: 'email_open', at: 'yesterday' }, path: 'at' },
      { name: 'at without offset', body: { type: 'email_open', at: '2026-01-01 10:00' }, path: 'at' },
      { name: 'too many properties', body: { type: 'page_visit', properties: tooMany }, path: 'properties' },
      { name: 'nested property', body: { type: 'page_visit', properties: { path: { deep: true } } }, path: 'properties.path' },
      { name: 'array body', body: [{ type: 'email_open' }] },
      { name: 'broken JSON', body: '{"type":"email_open"' },
    ];
    for (const { name, body, path } of invalid) {
      const response = await postEvent(leadId, body);
      expect(response.status, name).toBe(400);
      const { error } = await json(response);
      expect(error, name).toMatchObject({ code: 'validation_failed', message: expect.any(String), details: expect.any(Array) });
      if (path)
        expect(
          error.details.map((detail: { path: string }) => detail.path),
          name,
        ).toContain(path);
      else expect(error.message, name).toMatch(/JSON/);
    }

    const unknown = await postEvent(unknownLeadId(), { type: 'email_open' });
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error.code).toBe('not_found');
    expect((await postEvent('not-a-lead-id', { type: 'email_open' })).status).toBe(404);

    const anonymous = await postEvent(leadId, { type: 'email_open' }, {}, null);
    expect(anonymous.status).toBe(401);
    expect(await json(anonymous)).toEqual({ message: 'Unauthorized' });
    expect((await postEvent(leadId, { type: 'email_open' }, {}, 'lf_wrong')).status).toBe(401);
    const issued = await admin('POST', '/v1/api-keys', { name: 'read-only dashboard', scopes: ['leads:read'] });
    expect(issued.status).toBe(201);
    const readOnly = (await json(issued)).key;
    const forbidden = await postEvent(leadId, { type: 'email_open' }, {}, readOnly);
    expect(forbidden.status).toBe(403);
    expect(await json(forbidden)).toEqual({ message: 'Forbidden' });
    // The read-only key can still read the lead it may not change.
    expect((await admin('GET', `/v1/leads/${leadId}`, undefined, readOnly)).status).toBe(200);

    const after = await getLead(leadId);
    expect(after.version).toBe(before.version);
    expect(after.score).toEqual(before.score);
    expect(after.engagement).toEqual(before.engagement);
    expect(await scoringHistory(leadId)).toEqual(trailBefore);
    expect((await admin('GET', `/v1/leads/${unknownLeadId()}`)).status).toBe(404);
  });
});

describe('publishing rules and rescoring', () => {
  let original: RulesDocument | undefined;
  let published = false;

  afterAll(async () => {
    // Other files assume the default rules: publish their content back under a new version.
    if (!published || !original) return;
    const restored = await admin('PUT', '/v1/scoring/rules', { ...original, version: `${original.version}-restored-${Date.now()}` });
    expect(restored.status).toBe(200);
  });

  it('refuses bad documents with a 400 naming the rule, a reused version with 409, and rescores every lead with a new version', async () => {
    const rulesResponse = await admin('GET', '/v1/scoring/rules');
    expect(rulesResponse.status).toBe(200);
    original = await json(rulesResponse);
    expect(original!.version).toBe(defaultScoringRules.version);
    const rules = original!.rules;
    const indexOf = (id: string) => rules.findIndex((rule) => rule.id === id);
    const edited = (change: (doc: RulesDocument) => void) => {
      const doc = structuredClone(original!);
      doc.version = `it-bad-${randomUUID().slice(0, 8)}`;
      change(doc);
      return doc;
    };

    // Bad documents: each names the path and the id of the rule at fault.
    const executive = indexOf('authority-executive');
    const bad: Array<{ name: string; doc: unknown; path: string; ruleId?: string }> = [
      {
        name: 'points out of range',
        doc: edited((doc) => (doc.rules[executive]!.points = 500)),
        path: `rules.${executive}.points`,
        ruleId: 'authority-executive',
      },
      {
        name: 'invalid regex',
        doc: edited((doc) => (doc.rules[executive]!.pattern = '(unclosed')),
        path: `rules.${executive}.pattern`,
        ruleId: 'authority-executive',
      },
      {
        name: 'unknown kind',
        doc: edited((doc) => (doc.rules[indexOf('timeline')]!.kind = 'magic')),
        path: `rules.${indexOf('timeline')}.kind`,
        ruleId: 'timeline',
      },
      {
        name: 'duplicate id',
        doc: edited((doc) => (doc.rules[indexOf('need')]!.id = 'budget')),
        path: `rules.${indexOf('need')}.id`,
        ruleId: 'budget',
      },
      {
        name: 'unknown field',
        doc: edited((doc) => (doc.rules[indexOf('meetings')]!.points = 5)),
        path: `rules.${indexOf('meetings')}`,
        ruleId: 'meetings',
      },
      { name: 'weights not adding up', doc: edited((doc) => (doc.weights.fit = 0.9)), path: 'weights.engagement' },
    ];
    for (const { name, doc, path, ruleId } of bad) {
      const response = await admin('PUT', '/v1/scoring/rules', doc);
      expect(response.status, name).toBe(400);
      const { error } = await json(response);
      expect(error.code, name).toBe('validation_failed');
      const detail = error.details.find((candidate: { path: string }) => candidate.path === path);
      expect(detail, `${name}: ${JSON.stringify(error.details)}`).toBeDefined();
      if (ruleId) {
        expect(detail.ruleId, name).toBe(ruleId);
        expect(detail.message, name).toContain(`"${ruleId}"`);
      }
    }
    const notAnObject = await admin('PUT', '/v1/scoring/rules', [original]);
    expect(notAnObject.status).toBe(400);
    expect((await json(admin('GET', '/v1/scoring/rules'))).version).toBe(defaultScoringRules.version);

    // Leads scored under the default rules, routed (so no workflow writes them during the rescore).
    const probeId = await capture({ email: uniqueEmail('rescore'), ...middleProfile });
    const strongId = await capture({ email: uniqueEmail('rescore-strong'), ...strongProfile });
    const probeBefore = await routed(probeId);
    await routed(strongId);
    for (const leadId of created) await routed(leadId);
    expect(probeBefore.score).toMatchObject({ fit: 56, total: 39.2, grade: 'C', rulesVersion: defaultScoringRules.version });

    // A good new version: the served-market rule is worth 9 instead of 5 (thresholds unchanged).
    const version = `it-${Date.now()}-${randomUUID().slice(0, 6)}`;
    const country = indexOf('icp-country');
    const next = structuredClone(original!);
    next.version = version;
    next.rules[country]!.points = 9;
    const put = await admin('PUT', '/v1/scoring/rules', next);
    expect(put.status).toBe(200);
    published = true;
    expect(await json(put)).toMatchObject({ version, published: true });
    const again = await admin('PUT', '/v1/scoring/rules', next);
    expect(again.status).toBe(409);
    expect((await json(again)).error.code).toBe('rules_version_exists');
    const active = await json(admin('GET', '/v1/scoring/rules'));
    expect(active.version).toBe(version);
    expect(active.rules[country].points).toBe(9);
    expect(active.routing).toEqual(original!.routing);

    // Rescore every lead; the job reads the rules fresh, so no waiting out the 10 s rules cache.
    const started = await admin('POST', '/v1/scoring/rescore');
    expect(started.status).toBe(202);
    const { jobId, rulesVersion } = await json(started);
    expect(rulesVersion).toBe(version);
    expect(started.headers.get('location')).toBe(`/v1/scoring/rescore/${jobId}`);
    const job = await eventually(
      'the rescore job to finish',
      async () => {
        const response = await admin('GET', `/v1/scoring/rescore/${jobId}`);
        expect(response.status).toBe(200);
        const current = await json(response);
        return current.status === 'running' ? undefined : current;
      },
      90_000,
    );
    expect(job).toMatchObject({ jobId, status: 'succeeded', rulesVersion: version, finishedAt: expect.any(String) });
    expect(job.processed).toBeGreaterThanOrEqual(created.length);
    expect(job.rescored).toBeGreaterThanOrEqual(created.length);
    expect(job.rescored).toBeLessThanOrEqual(job.processed);
    expect((await admin('GET', '/v1/scoring/rescore/rescore-no-such-job')).status).toBe(404);

    // The probe lead gained the 4 extra points: fit 60, total 42.
    const probe = await getLead(probeId);
    expect(probe.score).toMatchObject({ rulesVersion: version, fit: 60, engagement: 0, total: 42, grade: 'C' });
    expect(probe.score.breakdown.find((line) => line.ruleId === 'icp-country')).toMatchObject({
      points: 9,
      reason: 'ICP served market: country "Germany" is listed',
    });
    expectExplainable(probe.score, defaultScoringRules);
    const change = (await scoringHistory(probeId)).filter((entry) => entry.type === 'score_changed').at(-1);
    expect(change).toMatchObject({
      actor: 'rescore',
      data: {
        from: { total: 39.2, grade: 'C', rulesVersion: defaultScoringRules.version },
        to: { total: 42, grade: 'C' },
        rulesVersion: version,
        cause: 'rules published',
      },
    });

    // Fit 97 + 4 is capped at 100, and the cap is a line of its own.
    const strong = await getLead(strongId);
    expect(strong.score).toMatchObject({ rulesVersion: version, fit: 100, total: 70 });
    expect(strong.score.breakdown.find((line) => line.ruleId === 'cap:fit')).toMatchObject({ points: -1, kind: 'clamp' });
    expectExplainable(strong.score, defaultScoringRules);

    // Every lead this file made, engaged ones included, now carries the new version.
    for (const leadId of created) {
      const lead = await getLead(leadId);
      expect(lead.score.rulesVersion, leadId).toBe(version);
      expectExplainable(lead.score, defaultScoringRules);
    }
  }, 150_000);
});
