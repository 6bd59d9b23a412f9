import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { openApiDocument } from '../../api/openapi';
import { apiRoutes, type ApiRoute } from '../../api/routes';
import { admin, adminKey, aggregationJobEnd, apiUrl, captureLead, eventually, json, keyed, postJson, uniqueEmail } from './helpers';

/**
 * The OpenAPI document against the running API (the local cloud runs the synthesized template):
 * the document is served, every documented operation is routed and answers a status it
 * documents, with a body its schema for that status accepts whole, and the reference page and
 * its packaged assets are served beside the API.
 */

const run = randomBytes(4).toString('hex');
let leadId: string;
/** A key with `leads:read` only: the other scopes' routes answer it 403. */
let readOnlyKey: string;

beforeAll(async () => {
  const captured = await postJson('default', { email: uniqueEmail('openapi'), firstName: 'Ada' }, keyed());
  expect(captured.status).toBe(202);
  leadId = (await json(captured)).leadId;
  const issued = await admin('POST', '/v1/api-keys', { name: `openapi-${run}`, scopes: ['leads:read'] });
  expect(issued.status).toBe(201);
  readOnlyKey = (await json(issued)).key;
});

/** Fills a route's path parameters. */
function pathOf(route: ApiRoute, parameters: Record<string, string> = {}): string {
  const values: Record<string, string> = {
    leadId,
    formId: `openapi-${run}`,
    jobId: 'rescore-none',
    keyId: 'key_AAAAAAAAAAAAAAAAAAAAAAAA',
    templateId: `openapi-${run}`,
    campaignId: 'cmp_openapi_none',
    ...parameters,
  };
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name]!));
}

function routeOf(operationId: string): ApiRoute {
  const route = apiRoutes.find((candidate) => candidate.operationId === operationId);
  if (!route) throw new Error(`no route ${operationId}`);
  return route;
}

/** The rescore job the probes start; it is awaited to its end so that no later test file shares the table with it. */
let rescoreJobPath: string | undefined;

/** The aggregation job the probes start, read to its end. */
let aggregationJobPath: string | undefined;

/**
 * One request per documented operation: minimal valid input where its effect is harmless to the
 * other test files (they share this local cloud), an invalid one where it is not (publishing rules).
 */
const probes: Record<string, () => Promise<Response>> = {
  captureSubmission: () => postJson('default', { email: uniqueEmail('openapi'), company: 'Analytical Engines' }),
  findLeads: () => admin('GET', '/v1/leads?stage=new&limit=2'),
  getLead: () => admin('GET', `/v1/leads/${leadId}`),
  getLeadHistory: () => admin('GET', `/v1/leads/${leadId}/history?limit=5`),
  exportLead: () => admin('GET', `/v1/leads/${leadId}/export`),
  // A lead of its own (the others' probes use the shared one), once its capture is in its history.
  eraseLead: async () => {
    const { leadId: erasable } = await captureLead('default', { email: uniqueEmail('openapi-erase') });
    await eventually('the capture in the history', async () =>
      (await json(admin('GET', `/v1/leads/${erasable}/history`))).entries?.length ? true : undefined,
    );
    return admin('DELETE', `/v1/leads/${erasable}`);
  },
  // No stage moves to `won` from where a fresh lead is (new, nurturing or qualified): a 409.
  moveLeadStage: () => admin('POST', `/v1/leads/${leadId}/stage`, { stage: 'won', dealValue: 1000 }),
  changeLeadOwner: () => admin('POST', `/v1/leads/${leadId}/owner`, { ownerEmail: 'alex.chen@example.com' }),
  // Its workflow runs fine (or has ended and gets a successor): either answer is documented.
  retryLeadWorkflow: () => admin('POST', `/v1/leads/${leadId}/workflow/retry`),
  recordEngagement: () => admin('POST', `/v1/leads/${leadId}/events`, { type: 'email_open' }),
  publishScoringRules: () => admin('PUT', '/v1/scoring/rules', { version: `openapi-${run}`, rules: [{ kind: 'nonsense' }] }),
  getScoringRules: () => admin('GET', '/v1/scoring/rules'),
  startRescore: async () => {
    const response = await admin('POST', '/v1/scoring/rescore');
    rescoreJobPath = response.headers.get('location') ?? undefined;
    return response;
  },
  getRescoreJob: async () => {
    expect(rescoreJobPath, 'startRescore runs first').toBeDefined();
    return eventually(
      'the rescore job to finish',
      async () => {
        const response = await admin('GET', rescoreJobPath!);
        return response.status !== 200 || (await json(response.clone())).status !== 'running' ? response : undefined;
      },
      60_000,
    );
  },
  getMetrics: () => admin('GET', '/v1/metrics?groupBy=source'),
  aggregateMetrics: async () => {
    const response = await admin('POST', '/v1/metrics/aggregate');
    aggregationJobPath = response.headers.get('location') ?? undefined;
    return response;
  },
  // Read once it has ended, so that no later file shares the aggregator with it.
  getAggregationJob: async () => {
    expect(aggregationJobPath, 'aggregateMetrics runs first').toBeDefined();
    await aggregationJobEnd(aggregationJobPath!);
    return admin('GET', aggregationJobPath!);
  },
  putForm: () => admin('PUT', pathOf(routeOf('putForm')), { name: 'OpenAPI probe', allowedOrigins: ['https://example.com'] }),
  getForm: () => admin('GET', pathOf(routeOf('getForm'))),
  createApiKey: () => admin('POST', '/v1/api-keys', { name: `openapi-probe-${run}`, scopes: ['metrics:read'] }),
  listApiKeys: () => admin('GET', '/v1/api-keys'),
  revokeApiKey: async () => admin('DELETE', `/v1/api-keys/${await throwawayKeyId()}`),
  rotateApiKey: async () => admin('POST', `/v1/api-keys/${await throwawayKeyId()}/rotate`, { overlapSeconds: 0 }),
  getLifecycleConfig: () => admin('GET', '/v1/lifecycle-config'),
  // A version that was never made: a 412, and the configuration the other files run with stays as it is.
  putLifecycleConfig: () =>
    lifecycleConfigEdit('PUT', {
      owners: [{ name: 'Probe', email: 'probe@example.com' }],
      manager: { name: 'Probe', email: 'probe@example.com' },
    }),
  deleteLifecycleConfig: () => lifecycleConfigEdit('DELETE'),
  listEmailTemplates: () => admin('GET', '/v1/email-templates'),
  getEmailTemplate: () => admin('GET', pathOf(routeOf('getEmailTemplate'))),
  putEmailTemplate: () =>
    admin('PUT', pathOf(routeOf('putEmailTemplate')), {
      subject: 'Hello {{firstName}}',
      html: '<p>Hello {{firstName}}</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
      text: 'Hello {{firstName}}. Unsubscribe: {{unsubscribeUrl}}',
      fallbacks: { firstName: 'there' },
    }),
  deleteEmailTemplate: () => admin('DELETE', pathOf(routeOf('deleteEmailTemplate'))),
  // The links in emails, with a token nobody signed: refused (a page for a browser, the JSON error otherwise), nothing changed.
  // test/integration/consent.test.ts follows real links.
  showUnsubscribePage: () => fetch(`${apiUrl()}/v1/unsubscribe?token=forged`, { headers: { accept: 'text/html' } }),
  unsubscribe: () =>
    fetch(`${apiUrl()}/v1/unsubscribe?token=forged`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    }),
  showConsentConfirmationPage: () => fetch(`${apiUrl()}/v1/consent/confirm?token=forged`),
  confirmConsent: () => fetch(`${apiUrl()}/v1/consent/confirm?token=forged`, { method: 'POST', headers: { accept: 'text/html' } }),
  // A step naming a template that does not exist: a 400 naming it. The other campaign routes are probed on a campaign that does not exist: 404.
  // test/integration/campaigns.test.ts drives real campaigns.
  createCampaign: () =>
    admin('POST', '/v1/campaigns', { name: 'OpenAPI probe', steps: [{ templateId: 'no-such-template', delay: 'P0D' }] }),
  listCampaigns: () => admin('GET', '/v1/campaigns'),
  getCampaign: () => admin('GET', pathOf(routeOf('getCampaign'))),
  previewCampaign: () => admin('POST', pathOf(routeOf('previewCampaign'))),
  testSendCampaign: () => admin('POST', pathOf(routeOf('testSendCampaign')), { leadId, to: 'probe@example.com' }),
  launchCampaign: () => admin('POST', pathOf(routeOf('launchCampaign'))),
  pauseCampaign: () => admin('POST', pathOf(routeOf('pauseCampaign'))),
  resumeCampaign: () => admin('POST', pathOf(routeOf('resumeCampaign'))),
  cancelCampaign: () => admin('POST', pathOf(routeOf('cancelCampaign'))),
  getHealth: () => fetch(`${apiUrl()}/health`),
  getOpenApiDocument: () => fetch(`${apiUrl()}/openapi.json`),
};

function lifecycleConfigEdit(method: 'PUT' | 'DELETE', body?: unknown): Promise<Response> {
  return fetch(`${apiUrl()}/v1/lifecycle-config`, {
    method,
    headers: {
      authorization: `Bearer ${adminKey()}`,
      'if-match': '"999999"',
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A key issued only to be revoked or rotated by a probe. */
async function throwawayKeyId(): Promise<string> {
  const issued = await admin('POST', '/v1/api-keys', { name: `openapi-throwaway-${run}`, scopes: ['metrics:read'] });
  expect(issued.status).toBe(201);
  return (await json(issued)).keyId;
}

/** The route's documented schema for a status and media type, or a failure saying what is undocumented. */
function documentedSchema(route: ApiRoute, status: number, mediaType: string): z.ZodType | undefined {
  const response = route.responses[status];
  expect(response, `${route.operationId} answered ${status}, which it does not document`).toBeDefined();
  if (!response!.content) return undefined;
  const schema = response!.content[mediaType];
  expect(schema, `${route.operationId} ${status} answered ${mediaType}, which it does not document`).toBeDefined();
  return schema;
}

/** Checks an answer against the document: a documented status, and a body its schema accepts with nothing left over. */
async function expectDocumented(route: ApiRoute, response: Response): Promise<void> {
  expect(response.status, `${route.operationId} answered a 5xx`).toBeLessThan(500);
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const schema = documentedSchema(route, response.status, mediaType);
  if (!schema) return;
  const body = mediaType === 'application/json' ? await response.json() : await response.text();
  const parsed = schema.safeParse(body);
  expect(parsed.error?.issues ?? [], `${route.operationId} ${response.status}`).toEqual([]);
  // Equal after parsing: the body holds nothing the schema does not describe (it would be stripped).
  expect(parsed.data, `${route.operationId} ${response.status}`).toEqual(body);
}

describe('GET /openapi.json', () => {
  it('answers the generated document as cacheable JSON', async () => {
    const response = await fetch(`${apiUrl()}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });
});

describe('every documented operation', () => {
  it('has a probe here (a new route needs one)', () => {
    expect(Object.keys(probes).sort()).toEqual(apiRoutes.map((route) => route.operationId).sort());
  });

  // In registry order: the rescore and aggregation jobs are started before they are read.
  it.each(apiRoutes.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const))(
    '%s answers a documented status with a documented body',
    async (_, route) => {
      await expectDocumented(route, await probes[route.operationId]!());
    },
  );

  it('answers CSV from GET /v1/metrics when asked, as documented', async () => {
    const response = await fetch(`${apiUrl()}/v1/metrics`, { headers: { authorization: `Bearer ${adminKey()}`, accept: 'text/csv' } });
    expect(response.status).toBe(200);
    await expectDocumented(routeOf('getMetrics'), response);
  });

  it('answers 404 with the JSON error shape for a lead that does not exist', async () => {
    const response = await admin('GET', `/v1/leads/ld_${'A'.repeat(22)}`);
    expect(response.status).toBe(404);
    await expectDocumented(routeOf('getLead'), response);
  });
});

describe('every operation behind an API key', () => {
  const scoped = apiRoutes.filter((route) => route.access !== 'public');

  /** A body that passes the body parser, so the answer is about the key. */
  function request(route: ApiRoute, key: string | undefined): Promise<Response> {
    const hasBody = route.method !== 'get';
    return fetch(`${apiUrl()}${pathOf(route)}`, {
      method: route.method.toUpperCase(),
      headers: { ...(key && { authorization: `Bearer ${key}` }), ...(hasBody && { 'content-type': 'application/json' }) },
      body: hasBody ? '{}' : undefined,
    });
  }

  it.each(scoped.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const))(
    '%s answers 401 without a key',
    async (_, route) => {
      const response = await request(route, undefined);
      expect(response.status).toBe(401);
      await expectDocumented(route, response);
    },
  );

  it.each(
    scoped.filter((route) => route.access !== 'leads:read').map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const),
  )('%s answers 403 to a key without its scope', async (_, route) => {
    const response = await request(route, readOnlyKey);
    expect(response.status).toBe(403);
    await expectDocumented(route, response);
  });
});

describe('the API reference page', () => {
  it('is HTML that loads Swagger UI from local assets and points it at /openapi.json', async () => {
    const response = await fetch(`${apiUrl()}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain("'/openapi.json'");
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, url]) => url!);
    expect(assets).toEqual(expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']));
    // Everything from this origin: the page works offline.
    expect(assets.filter((url) => !url.startsWith('/'))).toEqual([]);
    for (const asset of assets) {
      const loaded = await fetch(`${apiUrl()}${asset}`);
      expect(loaded.status, asset).toBe(200);
      expect((await loaded.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
  });

  it('serves only the assets it names', async () => {
    for (const other of ['/docs/package.json', '/docs/../package.json', '/docs/constructor', '/docs/index.html']) {
      expect((await fetch(`${apiUrl()}${other}`)).status, other).toBe(404);
    }
  });
});
