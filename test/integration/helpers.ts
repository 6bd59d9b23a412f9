import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes, randomUUID } from 'node:crypto';
import { inject } from 'vitest';

export const apiUrl = () => inject('apiUrl');

/** For forms that tests post to in bulk: every test request comes from 127.0.0.1, one client to the rate limits. */
export const noRateLimit = { perMinute: 1_000_000, perClientPerMinute: 1_000_000 };
export const adminKey = () => inject('adminKey');

/** A well-formed lead id that no lead has. */
export function unknownLeadId(): string {
  return `ld_${randomBytes(16).toString('base64url').slice(0, 22)}`;
}

export function uniqueEmail(tag = 'lead'): string {
  return `${tag}-${randomUUID()}@example.com`;
}

export async function postForm(formId: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${apiUrl()}/v1/forms/${formId}/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
    redirect: 'manual',
  });
}

export async function postJson(formId: string, value: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return postForm(formId, JSON.stringify(value), { 'content-type': 'application/json', ...headers });
}

export async function admin(method: string, path: string, body?: unknown, key = adminKey()): Promise<Response> {
  return fetch(`${apiUrl()}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * Headers that make a submission keyed (an API key with leads:write): it is stored on its lead at
 * once and answered with the lead id, where a public one gets only a submission id.
 */
export const keyed = (): Record<string, string> => ({ authorization: `Bearer ${adminKey()}` });

/** The lead for an address through `GET /v1/leads?email=` (the admin key), or undefined. */
export async function findLead(email: string): Promise<(Record<string, unknown> & { leadId: string }) | undefined> {
  const response = await admin('GET', `/v1/leads?email=${encodeURIComponent(email)}`);
  if (response.status !== 200) throw new Error(`GET /v1/leads?email= answered ${response.status}`);
  const { leads } = (await response.json()) as { leads: Array<Record<string, unknown> & { leadId: string }> };
  return leads[0];
}

/**
 * A public submission and the lead it ends on: public capture answers only a submission id and
 * folds it into the lead from the table stream, so this waits until the lead for `email` has
 * `touches` touches (default: one more than before).
 */
export async function captureLead(
  formId: string,
  fields: Record<string, unknown>,
  options: { touches?: number; headers?: Record<string, string> } = {},
): Promise<{ leadId: string; submissionId: string; response: Response }> {
  const email = String(fields.email);
  const before = Number((await findLead(email))?.touches ?? 0);
  const response = await postJson(formId, fields, options.headers);
  if (response.status !== 202) throw new Error(`capture answered ${response.status}: ${await response.text()}`);
  const { submissionId } = (await response.clone().json()) as { submissionId: string };
  const lead = await eventually(`the lead for submission ${submissionId}`, async () => {
    const found = await findLead(email);
    return found && Number(found.touches) >= (options.touches ?? before + 1) ? found : undefined;
  });
  return { leadId: lead.leadId, submissionId, response };
}

/** Direct reads of the local table, to prove what was (not) stored. */
export const documents = () =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: inject('dynamoEndpoint'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );

export async function leadPartition(leadId: string): Promise<Array<Record<string, unknown>>> {
  const { Items } = await documents().send(
    new QueryCommand({
      TableName: inject('tableName'),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `LEAD#${leadId}` },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

/** A response's JSON body, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely and assert on them field by field (eslint.config.js)
export async function json(response: Response | Promise<Response>): Promise<any> {
  return (await response).json();
}

/** Polls until `probe` returns a value (effects that follow a write through the table stream). */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The capture touches in a lead's history, once `count` of them are there. */
export async function captureTouches(leadId: string, count: number): Promise<Array<Record<string, unknown>>> {
  return eventually(`${count} capture touches`, async () => {
    const touches = (await leadPartition(leadId)).filter((item) => ['captured', 'resubmitted'].includes(String(item.type)));
    return touches.length >= count ? touches : undefined;
  });
}

/** A lead the default rules qualify: strong BANT and ideal-customer-profile fit. */
export function qualifiedLead(email: string, firstName: string): Record<string, string> {
  return {
    email,
    firstName,
    lastName: 'Hopper',
    company: `${firstName} Systems`,
    jobTitle: 'VP Engineering',
    companySize: '201-1000',
    industry: 'Software',
    country: 'United States',
    budget: '$25k-$100k',
    timeline: 'This quarter',
    message: 'Our pipeline reporting is manual; we need forecasting.',
    // Ticked: the lifecycle's prospect emails are marketing, sent only with recorded consent.
    consent: 'true',
  };
}

/**
 * A lead the default rules nurture (no timeline, no message: not sales-ready), in a cohort (the
 * custom field `cohort`) that isolates a test's campaign segments; it answers once the lead is nurturing.
 */
export async function nurturedLead(cohort: string, consent: boolean, tag: string): Promise<{ leadId: string; email: string }> {
  const email = uniqueEmail(tag);
  const { timeline: _timeline, message: _message, ...fields } = qualifiedLead(email, 'Nina');
  const response = await postJson('default', { ...fields, cohort, consent: consent ? 'yes' : 'no' }, keyed());
  if (response.status !== 202) throw new Error(`capture answered ${response.status}: ${await response.text()}`);
  const { leadId } = (await json(response)) as { leadId: string };
  await eventually(
    `${leadId} nurturing`,
    async () => ((await json(admin('GET', `/v1/leads/${leadId}`))).stage === 'nurturing' ? true : undefined),
    60_000,
  );
  return { leadId, email };
}

/** An on-demand aggregation job as `GET /v1/metrics/aggregate/{jobId}` answers it. */
export interface AggregationJobView {
  jobId: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  requestedAt: string;
  startedAt?: string;
  finishedAt?: string;
  eventsFolded?: number;
  watermark?: string;
  error?: string;
}

/** Polls an aggregation job (by its `location`) until it has ended, succeeded or failed. */
export async function aggregationJobEnd(location: string, timeoutMs = 60_000): Promise<AggregationJobView> {
  return eventually(
    `aggregation job ${location} to end`,
    async () => {
      const response = await admin('GET', location);
      const job = (await json(response)) as AggregationJobView;
      if (response.status !== 200) throw new Error(`GET ${location} answered ${response.status}: ${JSON.stringify(job)}`);
      return job.status === 'succeeded' || job.status === 'failed' ? job : undefined;
    },
    timeoutMs,
  );
}

/** `POST /v1/metrics/aggregate` (202, or the job already queued or running), then its end. */
export async function aggregateNow(): Promise<AggregationJobView> {
  const response = await admin('POST', '/v1/metrics/aggregate');
  const body = await json(response);
  if (response.status !== 202) throw new Error(`POST /v1/metrics/aggregate answered ${response.status}: ${JSON.stringify(body)}`);
  return aggregationJobEnd(response.headers.get('location') ?? `/v1/metrics/aggregate/${body.jobId}`);
}

/** The DynamoDB fault proxy's state (local/faults.ts): mode, counts, and the bounded throttle's progress. */
export interface DynamoFaultReport {
  mode: string;
  faulted: Record<string, number>;
  bounded: {
    calls: number;
    functions: string[];
    operations: string[];
    remaining: number;
    throttled: number;
    byFunction: Record<string, number>;
    byOperation: Record<string, number>;
  } | null;
}

/**
 * Throttles the next `calls` DynamoDB calls of the named functions (CDK construct ids such as
 * `RouteLead`; none: all) and operations (`PutItem`...; none: all), as AWS throttles them (400
 * ProvisionedThroughputExceededException); afterwards calls pass again.
 */
export async function throttleDynamo(
  throttle: { calls: number; functions?: string[]; operations?: string[] },
  controlUrl = inject('controlUrl'),
): Promise<void> {
  const response = await fetch(`${controlUrl}/faults/dynamodb`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'throttle', ...throttle }),
  });
  if (response.status !== 204) throw new Error(`POST /faults/dynamodb answered ${response.status}: ${await response.text()}`);
}

export async function dynamoFaults(controlUrl = inject('controlUrl')): Promise<DynamoFaultReport> {
  return (await fetch(`${controlUrl}/faults/dynamodb`)).json() as Promise<DynamoFaultReport>;
}
