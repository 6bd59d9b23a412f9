import { inject, describe, expect, it, afterEach } from 'vitest';
import { admin, dynamoFaults, json, keyed, postJson, throttleDynamo, uniqueEmail } from './helpers';

/** The bounded, per-function DynamoDB throttle of the local cloud's fault proxy (the lifecycle tests use it on each task state). */
describe('DynamoDB faults for N calls, per function', () => {
  afterEach(async () => {
    await fetch(`${inject('controlUrl')}/faults/dynamodb`, { method: 'POST', body: JSON.stringify({ mode: 'off' }) });
  });

  it('throttles only the named function, N calls, then lets calls pass', async () => {
    const response = await postJson('default', { email: uniqueEmail('throttled'), firstName: 'Ada' }, keyed());
    expect(response.status).toBe(202);
    const { leadId } = (await json(response)) as { leadId: string };

    await throttleDynamo({ calls: 3, functions: ['GetLead'] });
    // Other functions (the authorizer, FindLeads) are not throttled.
    expect((await admin('GET', `/v1/leads?email=${encodeURIComponent('nobody@example.com')}`)).status).toBe(200);
    expect((await dynamoFaults()).bounded).toMatchObject({ remaining: 3, throttled: 0 });

    // GetLead's client tries twice: both throttled, the store is unavailable.
    const throttled = await admin('GET', `/v1/leads/${leadId}`);
    expect(throttled.status).toBe(503);
    expect((await dynamoFaults()).bounded).toMatchObject({
      remaining: 1,
      throttled: 2,
      byFunction: { GetLead: 2 },
      byOperation: { GetItem: 2 },
    });
    // The third throttled call is retried by the SDK and answered.
    expect((await admin('GET', `/v1/leads/${leadId}`)).status).toBe(200);
    expect((await admin('GET', `/v1/leads/${leadId}`)).status).toBe(200);
    const report = await dynamoFaults();
    expect(report).toMatchObject({ mode: 'off', bounded: { calls: 3, functions: ['GetLead'], remaining: 0, throttled: 3 } });
  });

  it('matches operations', async () => {
    await throttleDynamo({ calls: 1, functions: ['CaptureLead'], operations: ['Query'] });
    // Capture sends no Query: nothing is throttled.
    expect((await postJson('default', { email: uniqueEmail('ops'), firstName: 'Ada' }, keyed())).status).toBe(202);
    expect((await dynamoFaults()).bounded).toMatchObject({ remaining: 1, throttled: 0 });
  });

  it('refuses a function name that names no function, and counts without a mode', async () => {
    const response = await fetch(`${inject('controlUrl')}/faults/dynamodb`, {
      method: 'POST',
      body: JSON.stringify({ mode: 'throttle', calls: 2, functions: ['RouteLeed'] }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/no function RouteLeed.*RouteLead/);
    for (const body of [
      { mode: 'throttle', calls: 0 },
      { mode: 'stall', calls: 2 },
      { mode: 'throttle', calls: 1, operations: [] },
    ]) {
      expect((await fetch(`${inject('controlUrl')}/faults/dynamodb`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(400);
    }
  });
});
