import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

export const apiUrl = () => inject('apiUrl');
export const adminKey = () => inject('adminKey');

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
  };
}
