import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { StubApi } from './cli-stub';

/**
 * The leadflow CLI, run in-process against a stub of the API: what it sends, what it prints, and
 * the exit code it returns.
 */

const stub = new StubApi();
/** A home directory and a package root of the test's own, so no real profile or local admin key is read. */
let scratch: string;

beforeAll(async () => {
  await stub.start();
  scratch = mkdtempSync(path.join(tmpdir(), 'leadflow-cli-'));
});
afterAll(async () => {
  await stub.stop();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  stub.reset();
});

interface RunOptions {
  env?: Record<string, string>;
  stderrIsTTY?: boolean;
  packageRoot?: string;
  homeDir?: string;
  started?: string[][];
  localCloudExitCode?: number;
}

let idempotencyKeys = 0;

async function leadflow(argv: string[], options: RunOptions = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    env: { LEADFLOW_URL: stub.url, ...options.env },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.stderrIsTTY ?? false },
    fetch: globalThis.fetch,
    homeDir: options.homeDir ?? path.join(scratch, 'home'),
    packageRoot: options.packageRoot ?? path.join(scratch, 'package'),
    sleep: () => Promise.resolve(),
    pollIntervalMs: 0,
    newIdempotencyKey: () => `idem-${++idempotencyKeys}`,
    runLocalCloud: (args) => {
      options.started?.push(args);
      return Promise.resolve(options.localCloudExitCode ?? 0);
    },
  });
  return { code, stdout, stderr };
}

/** A port nothing listens on: one just given up by a server. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const LEAD_ID = 'ld_2rVd0sCqS3eUq7m1n8Xw4A';
const lead = {
  leadId: LEAD_ID,
  email: 'ada@example.com',
  profile: { firstName: 'Ada', lastName: 'Lovelace', company: 'Analytical Engines' },
  stage: 'qualified',
  stageChangedAt: '2026-11-02T10:00:00.000Z',
  owner: { name: 'Sam Rep', email: 'sam@example.com' },
  source: 'newsletter',
  score: {
    rulesVersion: 'default-2026.11.1',
    fit: 40,
    engagement: 3.6,
    total: 29.1,
    grade: 'C',
    weights: { fit: 0.7, engagement: 0.3 },
    breakdown: [
      { ruleId: 'budget', kind: 'field', category: 'fit', points: 20, reason: 'BANT budget: budget is "$25k-$100k"' },
      { ruleId: 'authority-executive', kind: 'field', category: 'fit', points: 20, reason: 'BANT authority: job title contains "VP"' },
      { ruleId: 'email-opens', kind: 'event', category: 'engagement', points: 3.6, reason: 'Email opens: 2 x email_open' },
      { ruleId: 'free-mail', kind: 'field', category: 'fit', points: -5, reason: 'Free email domain' },
    ],
    scoredAt: '2026-11-02T10:00:00.000Z',
  },
  createdAt: '2026-11-01T09:00:00.000Z',
};

describe('leads show', () => {
  it("prints the stage, owner, the score's breakdown as a table and every page of the history", async () => {
    stub.on(`GET /v1/leads/${LEAD_ID}`, { json: lead });
    stub.on(`GET /v1/leads/${LEAD_ID}/history`, (request) =>
      request.query.cursor === 'page-2'
        ? {
            json: {
              leadId: LEAD_ID,
              entries: [
                {
                  entryId: 'b',
                  at: '2026-11-02T10:00:00.000Z',
                  type: 'stage_changed',
                  actor: 'api-key:sam',
                  data: { from: 'new', to: 'qualified' },
                },
              ],
            },
          }
        : {
            json: {
              leadId: LEAD_ID,
              entries: [{ entryId: 'a', at: '2026-11-01T09:00:00.000Z', type: 'captured', actor: 'form:default', data: {} }],
              nextCursor: 'page-2',
            },
          },
    );

    const { code, stdout, stderr } = await leadflow(['leads', 'show', LEAD_ID]);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('stage   qualified since 2026-11-02T10:00:00.000Z\nowner   Sam Rep <sam@example.com>\n');
    expect(stdout).toContain('score   29.1 (grade C) = fit 40 x 0.7 + engagement 3.6 x 0.3\n');
    expect(stdout).toContain(
      [
        'RULE                 CATEGORY    POINTS  REASON',
        'budget               fit          +20.0  BANT budget: budget is "$25k-$100k"',
        'authority-executive  fit          +20.0  BANT authority: job title contains "VP"',
        'email-opens          engagement    +3.6  Email opens: 2 x email_open',
        'free-mail            fit           -5.0  Free email domain',
      ].join('\n'),
    );
    expect(stdout).toContain(
      [
        'history (2 entries)',
        'AT                        TYPE           ACTOR         DETAILS',
        '2026-11-01T09:00:00.000Z  captured       form:default  -',
        '2026-11-02T10:00:00.000Z  stage_changed  api-key:sam   from=new to=qualified',
      ].join('\n'),
    );
    const historyReads = stub.requests.filter((request) => request.path.endsWith('/history'));
    expect(historyReads.map((request) => request.query.cursor)).toEqual([undefined, 'page-2']);
  });

  it('prints the raw answers with --json', async () => {
    stub.on(`GET /v1/leads/${LEAD_ID}`, { json: lead });
    stub.on(`GET /v1/leads/${LEAD_ID}/history`, { json: { leadId: LEAD_ID, entries: [] } });
    const { code, stdout } = await leadflow(['--json', 'leads', 'show', LEAD_ID]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ lead, history: [] });
  });

  it("exits 1 with the API's error on one line for a 404", async () => {
    stub.on(`GET /v1/leads/${LEAD_ID}`, {
      status: 404,
      json: { error: { code: 'not_found', message: 'there is no such lead', details: [] } },
    });
    const { code, stdout, stderr } = await leadflow(['leads', 'show', LEAD_ID]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`leadflow: 404 not_found: there is no such lead [GET /v1/leads/${LEAD_ID}]\n`);
  });
});

describe('errors', () => {
  it("exits 1 on the gateway's 401, saying whether a key was given", async () => {
    stub.on('GET /v1/api-keys', { status: 401, json: { message: 'Unauthorized' } });
    const withoutKey = await leadflow(['keys', 'list']);
    expect(withoutKey.code).toBe(1);
    expect(withoutKey.stderr).toBe(
      'leadflow: 401 Unauthorized: no API key given (pass --key, set LEADFLOW_API_KEY or put it in a profile) [GET /v1/api-keys]\n',
    );
    const withKey = await leadflow(['keys', 'list', '--key', 'lf_revoked']);
    expect(withKey.code).toBe(1);
    expect(withKey.stderr).toBe(
      'leadflow: 401 Unauthorized: the API key (from the flag) is unknown, revoked or expired [GET /v1/api-keys]\n',
    );
  });

  it('names every detail of a validation error', async () => {
    stub.on(`POST /v1/leads/${LEAD_ID}/stage`, {
      status: 400,
      json: {
        error: {
          code: 'validation_failed',
          message: 'a won deal needs its value',
          details: [{ path: 'dealValue', message: 'is required for won' }],
        },
      },
    });
    const { code, stderr } = await leadflow(['move', LEAD_ID, 'won']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `leadflow: 400 validation_failed: a won deal needs its value (dealValue: is required for won) [POST /v1/leads/${LEAD_ID}/stage]\n`,
    );
  });

  it('exits 1 when nothing answers', async () => {
    const closed = await closedPort();
    const { code, stderr } = await leadflow(['keys', 'list', '--url', `http://127.0.0.1:${closed}`]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `leadflow: cannot reach http://127.0.0.1:${closed}: connection refused (is the local cloud running? npx leadflow start)\n`,
    );
  });

  it.each([
    [['leads', 'show'], 'leadflow: leads show needs <leadId> (leadflow leads show --help)\n'],
    [['leads'], 'leadflow: leads needs a subcommand: show, find\n'],
    [['leads', 'delete', LEAD_ID], 'leadflow: unknown command leads delete (leads has show, find)\n'],
    [['deploy'], 'leadflow: unknown command deploy (commands: start, keys, forms, leads, move, campaigns, metrics, rescore, executions)\n'],
    [[], 'leadflow: no command given (leadflow --help lists them)\n'],
    [['leads', 'show', LEAD_ID, '--verbose'], "leadflow: leads show: Unknown option '--verbose' (leadflow leads show --help)\n"],
    [['leads', 'show', LEAD_ID, 'extra'], 'leadflow: leads show: unexpected argument "extra"\n'],
    [['leads', 'find', '--stage', 'new', '--limit', 'ten'], 'leadflow: --limit must be a whole number of at least 1, not "ten"\n'],
    [['move', LEAD_ID, 'won', '--deal-value', 'lots'], 'leadflow: --deal-value must be a number of at least 0, not "lots"\n'],
    [['keys', 'issue', '--scopes', 'admin'], 'leadflow: keys issue needs --name NAME\n'],
    [['campaigns', 'create'], 'leadflow: campaigns create needs --file FILE\n'],
    [['campaigns', 'create', '--file', '/nonexistent/campaign.json'], 'leadflow: cannot read /nonexistent/campaign.json: ENOENT\n'],
    [['metrics', '--group-by', 'week'], 'leadflow: --group-by must be one of day, source, owner, campaign, utm_campaign, not "week"\n'],
  ])('exits 2 on a usage error: leadflow %j', async (argv, message) => {
    const { code, stdout, stderr } = await leadflow(argv);
    expect(stderr).toBe(message);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stub.requests).toEqual([]);
  });
});

describe('the connection', () => {
  const authorizations = () => stub.requests.map((request) => request.headers.authorization);

  it('takes the key from --key, else LEADFLOW_API_KEY, else the profile, else the local admin key', async () => {
    stub.on('GET /v1/api-keys', { json: { keys: [] } });
    const home = path.join(scratch, 'precedence-home');
    mkdirSync(path.join(home, '.leadflow'), { recursive: true });
    writeFileSync(
      path.join(home, '.leadflow', 'config.json'),
      JSON.stringify({ defaultProfile: 'local', profiles: { local: { url: stub.url, key: 'lf_profile' } } }),
    );
    const packageRoot = path.join(scratch, 'precedence-package');
    mkdirSync(path.join(packageRoot, '.leadflow'), { recursive: true });
    writeFileSync(path.join(packageRoot, '.leadflow', 'admin-key'), 'lf_local_admin\n');
    const env = { LEADFLOW_API_KEY: 'lf_env' };

    expect((await leadflow(['keys', 'list', '--key', 'lf_flag'], { env, homeDir: home, packageRoot })).code).toBe(0);
    expect((await leadflow(['keys', 'list'], { env, homeDir: home, packageRoot })).code).toBe(0);
    expect((await leadflow(['keys', 'list'], { homeDir: home, packageRoot })).code).toBe(0);
    expect((await leadflow(['keys', 'list'], { packageRoot })).code).toBe(0);
    expect((await leadflow(['keys', 'list'])).code).toBe(0);
    expect(authorizations()).toEqual(['Bearer lf_flag', 'Bearer lf_env', 'Bearer lf_profile', 'Bearer lf_local_admin', undefined]);
  });

  it('selects a profile with --profile, else LEADFLOW_PROFILE, else the default profile; the flag and environment URL win over it', async () => {
    stub.on('GET /v1/api-keys', { json: { keys: [] } });
    const config = path.join(scratch, 'profiles.json');
    writeFileSync(
      config,
      JSON.stringify({
        defaultProfile: 'staging',
        profiles: {
          staging: { url: stub.url, key: 'lf_staging' },
          prod: { url: stub.url, key: 'lf_prod' },
          elsewhere: { url: `http://127.0.0.1:${await closedPort()}` },
        },
      }),
    );
    const env = { LEADFLOW_CONFIG: config };
    await leadflow(['keys', 'list'], { env: { ...env, LEADFLOW_URL: '' } });
    await leadflow(['keys', 'list'], { env: { ...env, LEADFLOW_PROFILE: 'prod' } });
    await leadflow(['keys', 'list', '--profile', 'staging'], { env: { ...env, LEADFLOW_PROFILE: 'prod' } });
    expect(authorizations()).toEqual(['Bearer lf_staging', 'Bearer lf_prod', 'Bearer lf_staging']);
    // The profile's URL is one nothing listens on: LEADFLOW_URL (the stub), or --url, wins over it.
    const elsewhere = { ...env, LEADFLOW_PROFILE: 'elsewhere' };
    expect((await leadflow(['keys', 'list'], { env: { ...elsewhere, LEADFLOW_URL: '' } })).code).toBe(1);
    expect((await leadflow(['keys', 'list'], { env: elsewhere })).code).toBe(0);
    expect((await leadflow(['keys', 'list', '--url', stub.url], { env: { ...elsewhere, LEADFLOW_URL: '' } })).code).toBe(0);
    expect(stub.requests).toHaveLength(5);

    const unknown = await leadflow(['keys', 'list', '--profile', 'qa'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(`leadflow: no profile qa in ${config} (profiles: staging, prod, elsewhere)\n`);
  });

  it('refuses a malformed profile file with exit 2', async () => {
    const config = path.join(scratch, 'broken.json');
    writeFileSync(config, JSON.stringify({ profiles: { prod: { url: 42 } } }));
    const { code, stderr } = await leadflow(['keys', 'list'], { env: { LEADFLOW_CONFIG: config } });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^leadflow: the profile file .*broken\.json is not \{/);
  });

  it('never sends the local admin key to an API off this machine', async () => {
    const { resolveConnection } = await import('../../cli/config');
    const packageRoot = path.join(scratch, 'precedence-package');
    const context = { env: {}, homeDir: path.join(scratch, 'home'), packageRoot } as never;
    expect(resolveConnection({ url: 'http://127.0.0.1:3999' }, context)).toMatchObject({
      key: 'lf_local_admin',
      keySource: 'local admin key',
    });
    expect(resolveConnection({ url: 'https://api.example.com' }, context)).toMatchObject({ key: undefined, keySource: 'none' });
    expect(resolveConnection({}, context)).toMatchObject({ url: 'http://127.0.0.1:3000', key: 'lf_local_admin' });
  });
});

describe('writes', () => {
  it('send an Idempotency-Key, and the same one again when a throttled write is retried', async () => {
    stub.on(
      `POST /v1/leads/${LEAD_ID}/stage`,
      { status: 429, json: { message: 'Too Many Requests' }, headers: { 'retry-after': '0' } },
      { json: { leadId: LEAD_ID, from: 'closing', stage: 'won', at: '2026-11-03T12:00:00.000Z' } },
    );
    const { code, stdout } = await leadflow(['move', LEAD_ID, 'won', '--deal-value', '25000', '--currency', 'EUR', '--reason', 'signed']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${LEAD_ID}: closing -> won at 2026-11-03T12:00:00.000Z\n`);
    const [first, retry] = stub.requests;
    expect(first?.body).toEqual({ stage: 'won', reason: 'signed', dealValue: 25000, currency: 'EUR' });
    expect(first?.headers['idempotency-key']).toMatch(/^idem-\d+$/);
    expect(retry?.headers['idempotency-key']).toBe(first?.headers['idempotency-key']);
    expect(stub.requests).toHaveLength(2);
  });

  it('send an objection as the API expects it, with a key of its own per command', async () => {
    stub.on(`POST /v1/leads/${LEAD_ID}/stage`, {
      json: { leadId: LEAD_ID, from: 'presentation', stage: 'objection', at: '2026-11-03T12:00:00.000Z' },
    });
    await leadflow(['move', LEAD_ID, 'objection', '--objection-type', 'price', '--objection-note', 'too dear']);
    await leadflow(['move', LEAD_ID, 'objection', '--objection-type', 'price']);
    expect(stub.requests[0]?.body).toEqual({ stage: 'objection', objection: { type: 'price', note: 'too dear' } });
    expect(stub.requests[0]?.headers['idempotency-key']).not.toBe(stub.requests[1]?.headers['idempotency-key']);
  });

  it('issue a key with its scopes, and reads carry no Idempotency-Key', async () => {
    stub.on('POST /v1/api-keys', {
      status: 201,
      json: {
        keyId: 'key_0123456789abcdef',
        key: 'lf_secret',
        name: 'crm-sync',
        scopes: ['leads:read', 'leads:write'],
        createdAt: '2026-11-03T12:00:00.000Z',
      },
    });
    stub.on('GET /v1/api-keys', { json: { keys: [] } });
    const issued = await leadflow(['keys', 'issue', '--name', 'crm-sync', '--scopes', 'leads:read, leads:write']);
    expect(issued.code).toBe(0);
    expect(issued.stdout).toContain('lf_secret');
    expect(stub.requests[0]?.body).toEqual({ name: 'crm-sync', scopes: ['leads:read', 'leads:write'] });
    expect(stub.requests[0]?.headers['idempotency-key']).toBeDefined();
    await leadflow(['keys', 'list']);
    expect(stub.requests[1]?.headers['idempotency-key']).toBeUndefined();
  });

  it('create a form from its file', async () => {
    const file = path.join(scratch, 'form.json');
    writeFileSync(file, JSON.stringify({ name: 'Webinar', allowedOrigins: ['https://example.com'] }));
    stub.on('PUT /v1/forms/webinar', { json: { formId: 'webinar', name: 'Webinar', signed: false } });
    const { code, stdout } = await leadflow(['forms', 'create', 'webinar', '--file', file]);
    expect(code).toBe(0);
    expect(stdout).toBe('saved form webinar (Webinar)\n');
    expect(stub.requests[0]?.body).toEqual({ name: 'Webinar', allowedOrigins: ['https://example.com'] });
  });
});

describe('leads find', () => {
  it('finds the lead of an address, as an argument or --email', async () => {
    stub.on('GET /v1/leads', { json: { leads: [lead] } });
    const { code, stdout } = await leadflow(['leads', 'find', 'ada@example.com']);
    await leadflow(['leads', 'find', '--email', 'ada@example.com']);
    expect(code).toBe(0);
    expect(stdout).toContain(`${LEAD_ID}  ada@example.com  qualified   29.1  C      sam@example.com`);
    expect(stub.requests.map((request) => request.query)).toEqual([{ email: 'ada@example.com' }, { email: 'ada@example.com' }]);
  });

  it('lists by stage, owner and grade, and tells the next page', async () => {
    stub.on('GET /v1/leads', { json: { leads: [lead], nextCursor: 'abc' } });
    const { code, stderr } = await leadflow([
      'leads',
      'find',
      '--stage',
      'qualified',
      '--owner',
      'sam@example.com',
      '--grade',
      'C',
      '--limit',
      '10',
    ]);
    expect(code).toBe(0);
    expect(stub.requests[0]?.query).toEqual({ stage: 'qualified', owner: 'sam@example.com', grade: 'C', limit: '10' });
    expect(stderr).toBe('more: leadflow leads find ... --cursor abc\n');
  });
});

describe('campaigns launch', () => {
  const CAMPAIGN = 'cmp_spring';
  const campaignWith = (sent: number, skipped = 0) => ({
    json: { campaignId: CAMPAIGN, name: 'Spring', status: 'active', stats: { targeted: 5, sent, skipped_no_consent: skipped } },
  });

  it('polls the campaign until every targeted lead is sent or skipped, with plain progress lines off a terminal', async () => {
    stub.on(`POST /v1/campaigns/${CAMPAIGN}/launch`, { status: 202, json: { launchId: 'lch_1', targeted: 5, campaignId: CAMPAIGN } });
    stub.on(`GET /v1/campaigns/${CAMPAIGN}`, campaignWith(0), campaignWith(2), campaignWith(4, 1), campaignWith(9));
    const { code, stdout, stderr } = await leadflow(['campaigns', 'launch', CAMPAIGN]);
    expect(code).toBe(0);
    expect(stub.requests.filter((request) => request.method === 'GET')).toHaveLength(3);
    expect(stub.requests[0]?.headers['idempotency-key']).toBeDefined();
    expect(stderr).toBe('sent 0/5 (active)\nsent 2/5 (active)\nsent 4/5, skipped 1 (active)\n');
    expect(stdout).toBe(`launched ${CAMPAIGN} (lch_1): 5 leads targeted\n${CAMPAIGN}: sent 4/5, skipped 1 (active)\n`);
  });

  it('draws a progress bar on a terminal', async () => {
    stub.on(`POST /v1/campaigns/${CAMPAIGN}/launch`, { status: 202, json: { launchId: 'lch_1', targeted: 5, campaignId: CAMPAIGN } });
    stub.on(`GET /v1/campaigns/${CAMPAIGN}`, campaignWith(2), campaignWith(5));
    const { code, stderr } = await leadflow(['campaigns', 'launch', CAMPAIGN], { stderrIsTTY: true });
    expect(code).toBe(0);
    expect(stderr).toBe(
      `\r\x1b[2K[############..................]  40% sent 2/5 (active)` +
        `\r\x1b[2K[##############################] 100% sent 5/5 (active)\n`,
    );
  });

  it('returns at once with --no-wait, and gives up with exit 1 after --timeout', async () => {
    stub.on(`POST /v1/campaigns/${CAMPAIGN}/launch`, { status: 202, json: { launchId: 'lch_1', targeted: 5, campaignId: CAMPAIGN } });
    stub.on(`GET /v1/campaigns/${CAMPAIGN}`, campaignWith(1));
    expect((await leadflow(['campaigns', 'launch', CAMPAIGN, '--no-wait'])).code).toBe(0);
    expect(stub.requests).toHaveLength(1);
    const timedOut = await leadflow(['campaigns', 'launch', CAMPAIGN, '--timeout', '0']);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toContain(
      `leadflow: stopped waiting after 0 s: sent 1/5 (active); the launch goes on (leadflow campaigns stats ${CAMPAIGN})\n`,
    );
  });

  it('previews the segment, and pauses, resumes and cancels with a POST each', async () => {
    stub.on(`POST /v1/campaigns/${CAMPAIGN}/preview`, {
      json: {
        count: 1234,
        sample: [
          { leadId: LEAD_ID, stage: 'nurturing', source: 'newsletter', score: 22.5, grade: 'C', createdAt: '2026-11-01T09:00:00.000Z' },
        ],
      },
    });
    for (const [action, status] of [
      ['pause', 'paused'],
      ['resume', 'active'],
      ['cancel', 'cancelled'],
    ] as const) {
      stub.on(`POST /v1/campaigns/${CAMPAIGN}/${action}`, { json: { campaignId: CAMPAIGN, name: 'Spring', status } });
    }
    const preview = await leadflow(['campaigns', 'preview', CAMPAIGN]);
    expect(preview.stdout).toBe(
      `1234 leads would be targeted\nLEAD ID                    STAGE      SOURCE      SCORE  GRADE\n${LEAD_ID}  nurturing  newsletter   22.5  C\n`,
    );
    const cancelled = await leadflow(['campaigns', 'cancel', CAMPAIGN, '--json']);
    expect(JSON.parse(cancelled.stdout)).toEqual({ campaignId: CAMPAIGN, name: 'Spring', status: 'cancelled' });
    await leadflow(['campaigns', 'pause', CAMPAIGN]);
    expect(stub.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `POST /v1/campaigns/${CAMPAIGN}/preview`,
      `POST /v1/campaigns/${CAMPAIGN}/cancel`,
      `POST /v1/campaigns/${CAMPAIGN}/pause`,
    ]);
  });

  it('prints one JSON document with --json once the launch settled', async () => {
    stub.on(`POST /v1/campaigns/${CAMPAIGN}/launch`, { status: 202, json: { launchId: 'lch_1', targeted: 5, campaignId: CAMPAIGN } });
    stub.on(`GET /v1/campaigns/${CAMPAIGN}`, campaignWith(5));
    const { code, stdout } = await leadflow(['campaigns', 'launch', CAMPAIGN, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ launchId: 'lch_1', targeted: 5, campaign: { stats: { sent: 5 } } });
  });

  it('shows the live counters', async () => {
    stub.on(`GET /v1/campaigns/${CAMPAIGN}`, campaignWith(4, 1));
    const { stdout } = await leadflow(['campaigns', 'stats', CAMPAIGN]);
    expect(stdout).toBe(
      `${CAMPAIGN}  Spring  (active)\nCOUNTER             VALUE\ntargeted                5\nsent                    4\nskipped_no_consent      1\n`,
    );
  });
});

describe('metrics', () => {
  const kpis = (leads: number, won: number, lost: number, deals: Record<string, { count: number; value: number; average: number }>) => ({
    leads,
    qualified: Math.floor(leads / 2),
    qualificationRate: leads > 0 ? Math.floor(leads / 2) / leads : null,
    funnel: [],
    won,
    lost,
    winRate: won + lost > 0 ? won / (won + lost) : null,
    deals,
    salesCycleDays: { deals: won, mean: won > 0 ? 12 : null, median: won > 0 ? 11 : null },
    averageDaysInStage: {},
    email: { sent: leads * 3, openRate: leads > 0 ? 0.25 : null, clickRate: leads > 0 ? 0.05 : null },
  });
  const report = {
    from: '2026-11-01',
    to: '2026-11-02',
    days: 2,
    groupBy: 'source',
    totals: kpis(12, 2, 1, { EUR: { count: 2, value: 50000, average: 25000 } }),
    weakestStage: { stage: 'presentation', conversion: 0.2, explanation: 'few presentations lead to closing' },
    leadsBySource: [],
    leadsByCampaign: [],
    owners: [],
    groups: [
      { group: 'newsletter', kpis: kpis(10, 2, 1, { EUR: { count: 2, value: 50000, average: 25000 } }) },
      { group: 'webinar', kpis: kpis(2, 0, 0, {}) },
    ],
  };

  it('prints the KPIs as an aligned table', async () => {
    stub.on('GET /v1/metrics', { json: report });
    const { code, stdout } = await leadflow(['metrics', '--from', '2026-11-01', '--to', '2026-11-02', '--group-by', 'source']);
    expect(code).toBe(0);
    expect(stub.requests[0]?.query).toEqual({ from: '2026-11-01', to: '2026-11-02', groupBy: 'source' });
    expect(stub.requests[0]?.headers.accept).toBe('application/json');
    expect(stdout).toBe(
      [
        '2026-11-01 to 2026-11-02 (2 days), by source',
        '',
        'SOURCE      LEADS  QUALIFIED  QUAL%  WON  LOST   WIN%  DEALS          CYCLE(d)  SENT  OPEN%  CLICK%',
        'newsletter     10          5  50.0%    2     1  66.7%  EUR 50000 (2)        11    30  25.0%    5.0%',
        'webinar         2          1  50.0%    0     0      -  -                     -     6  25.0%    5.0%',
        'total          12          6  50.0%    2     1  66.7%  EUR 50000 (2)        11    36  25.0%    5.0%',
        '',
        'weakest stage: presentation (20.0% convert): few presentations lead to closing',
        '',
      ].join('\n'),
    );
  });

  it("prints the API's CSV with --csv", async () => {
    const csv = 'source,leads,qualified\r\nnewsletter,10,5\r\nwebinar,2,1\r\n';
    stub.on('GET /v1/metrics', (request) =>
      request.headers.accept === 'text/csv' ? { text: csv, contentType: 'text/csv; charset=utf-8' } : { json: report },
    );
    const { code, stdout } = await leadflow(['metrics', '--group-by', 'source', '--csv']);
    expect(code).toBe(0);
    expect(stdout).toBe(csv);
  });
});

describe('rescore', () => {
  const job = (status: string, processed: number, currentStage: string | null) => ({
    json: {
      jobId: 'rescore-1',
      status,
      rulesVersion: 'v2',
      processed,
      rescored: Math.floor(processed / 2),
      startedAt: '2026-11-03T12:00:00.000Z',
      currentStage,
    },
  });

  it('follows the job until it ends', async () => {
    stub.on('POST /v1/scoring/rescore', { status: 202, json: { jobId: 'rescore-1', rulesVersion: 'v2', status: 'running' } });
    stub.on('GET /v1/scoring/rescore/rescore-1', job('running', 0, 'new'), job('running', 40, 'qualified'), job('succeeded', 90, null));
    const { code, stdout, stderr } = await leadflow(['rescore']);
    expect(code).toBe(0);
    expect(stderr).toBe('0 leads read, 0 rescored (stage new)\n40 leads read, 20 rescored (stage qualified)\n90 leads read, 45 rescored\n');
    expect(stdout).toBe('rescore job rescore-1 succeeded: 90 leads read, 45 rescored, rules v2\n');
  });

  it('exits 1 when the job fails', async () => {
    stub.on('POST /v1/scoring/rescore', { status: 202, json: { jobId: 'rescore-1', rulesVersion: 'v2', status: 'running' } });
    stub.on('GET /v1/scoring/rescore/rescore-1', job('failed', 10, null));
    const { code, stderr } = await leadflow(['rescore']);
    expect(code).toBe(1);
    expect(stderr).toContain('leadflow: rescore job rescore-1 failed after 10 leads read, 5 rescored\n');
  });
});

describe('executions and start', () => {
  it("lists the control plane's executions, taking the banner's URL as it is", async () => {
    stub.on('GET /executions', {
      json: {
        executions: [
          {
            stateMachine: 'LeadLifecycle',
            name: LEAD_ID,
            status: 'RUNNING',
            startDate: '2026-11-03T12:00:00.000Z',
            currentState: 'AwaitRepMove',
          },
        ],
      },
    });
    const { code, stdout } = await leadflow(['executions', '--control-url', `${stub.url}/executions`, '--status', 'RUNNING']);
    expect(code).toBe(0);
    expect(stub.requests[0]?.query).toEqual({ status: 'RUNNING' });
    expect(stdout).toContain(`LeadLifecycle  ${LEAD_ID}  RUNNING  AwaitRepMove  2026-11-03T12:00:00.000Z  -`);
  });

  it("finds a running local cloud's control plane by itself, and asks for the URL when there is none", async () => {
    stub.on('GET /executions', { json: { executions: [] } });
    const packageRoot = path.join(scratch, 'control-package');
    mkdirSync(path.join(packageRoot, '.leadflow'), { recursive: true });
    const missing = await leadflow(['executions'], { packageRoot });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^leadflow: executions needs the control plane's URL/);
    writeFileSync(path.join(packageRoot, '.leadflow', 'control-url'), `${stub.url}\n`);
    expect((await leadflow(['executions'], { packageRoot })).code).toBe(0);
    expect(stub.requests.map((request) => request.path)).toEqual(['/executions']);
  });

  it('runs the local cloud with the arguments given, and exits with its exit code', async () => {
    const started: string[][] = [];
    const { code } = await leadflow(['start', '--port', '3999', '--fresh'], { started });
    expect(code).toBe(0);
    expect(started).toEqual([['--port', '3999', '--fresh']]);
    const failed = await leadflow(['start', '--port', 'abc'], { localCloudExitCode: 3 });
    expect(failed).toEqual({ code: 3, stdout: '', stderr: 'leadflow: the local cloud exited with code 3\n' });
  });
});

describe('help', () => {
  it('answers --help on every command and subcommand with exit 0', async () => {
    for (const argv of [
      ['--help'],
      ['help'],
      ['leads', '--help'],
      ['leads', 'show', '--help'],
      ['help', 'move'],
      ['start', '--help'],
      ['metrics', '-h'],
    ]) {
      const { code, stdout, stderr } = await leadflow(argv);
      expect({ argv, code, stderr }).toEqual({ argv, code: 0, stderr: '' });
      expect(stdout).toMatch(/^Usage: leadflow/);
      expect(stdout).toContain('2  usage error');
    }
    expect(stub.requests).toEqual([]);
  });

  it('runs as the bin: node cli/bin.mjs --help', () => {
    const root = path.join(import.meta.dirname, '../..');
    const result = spawnSync(process.execPath, [path.join(root, 'cli', 'bin.mjs'), '--help'], { encoding: 'utf8', timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: leadflow <command> \[options\]/);
    expect(result.stdout).toContain('leadflow leads show <leadId>');
  });
});
