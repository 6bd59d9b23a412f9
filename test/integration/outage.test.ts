import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { admin, documents, noRateLimit, postJson } from './helpers';

/**
 * The table fails in the middle of a load: it throttles, refuses connections, then stalls for
 * longer than the functions wait. Clients do what a well-behaved form script does: on 503 they
 * wait for Retry-After and send the same submission again with the same Idempotency-Key. In the
 * end every submission is exactly one lead with exactly one touch: nothing lost, nothing twice.
 */
const SUBMISSIONS = 1_000;
const CONCURRENCY = 16;
const formId = `outage-${randomUUID().slice(0, 8)}`;
const run = randomUUID().slice(0, 8);
const emailOf = (index: number) => `outage-${run}-${index}@example.com`;

async function fault(mode: 'off' | 'throttle' | 'refuse' | 'stall'): Promise<void> {
  const response = await fetch(`${inject('controlUrl')}/faults/dynamodb`, { method: 'POST', body: JSON.stringify({ mode }) });
  expect(response.status).toBe(204);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  const created = await admin('PUT', `/v1/forms/${formId}`, { name: 'Outage drill', rateLimit: noRateLimit });
  expect(created.status).toBe(200);
});

afterAll(async () => {
  await fault('off');
});

interface Tally {
  accepted: number;
  unavailable: number;
  withoutRetryAfter: number;
  networkErrors: number;
  other: Array<{ status: number; body: string }>;
}

/** One submission, retried with its key until accepted; every answer is tallied. */
async function submit(index: number, tally: Tally): Promise<void> {
  const key = `outage-${run}-${index}`;
  for (let attempt = 1; attempt <= 60; attempt++) {
    let response: Response;
    try {
      response = await postJson(formId, { email: emailOf(index), first_name: `Drill${index}` }, { 'idempotency-key': key });
    } catch {
      tally.networkErrors += 1;
      await sleep(250);
      continue;
    }
    const body = await response.text();
    if (response.status === 202) {
      tally.accepted += 1;
      return;
    }
    if (response.status === 503) {
      tally.unavailable += 1;
      const retryAfter = Number(response.headers.get('retry-after'));
      if (!(retryAfter > 0)) tally.withoutRetryAfter += 1;
      await sleep(Math.min(retryAfter || 1, 2) * 1000);
      continue;
    }
    tally.other.push({ status: response.status, body });
    return;
  }
  throw new Error(`submission ${index} was never accepted`);
}

/** Every item of the table that the filter keeps, every page (the drill's items are spread over the whole table). */
async function scanAll(
  FilterExpression: string,
  ExpressionAttributeValues: Record<string, unknown>,
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents().send(
      new ScanCommand({ TableName: inject('tableName'), FilterExpression, ExpressionAttributeValues, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const leadsOfThisRun = () => scanAll('sk = :lead AND begins_with(email, :prefix)', { ':lead': 'LEAD', ':prefix': `outage-${run}-` });

/** Submissions of this run's form that are stored but not folded into their lead yet. */
async function unfoldedSubmissions(): Promise<number> {
  const unfolded = await scanAll('sk = :submission AND formId = :form AND attribute_not_exists(appliedAt)', {
    ':submission': 'SUBMISSION',
    ':form': formId,
  });
  return unfolded.length;
}

/** Every lead of the run, once all are there; on timeout, says how far folding got. */
async function allFolded(timeoutMs: number): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await leadsOfThisRun();
    if (found.length >= SUBMISSIONS) return found;
    if (Date.now() > deadline) {
      throw new Error(
        `after ${timeoutMs / 1000} s, ${found.length} of ${SUBMISSIONS} leads; ${await unfoldedSubmissions()} submissions stored and not folded`,
      );
    }
    await sleep(500);
  }
}

describe('capture through a table outage', () => {
  it(`${SUBMISSIONS} submissions with the table throttling, refusing and stalling mid-load end as exactly one lead each`, async () => {
    const tally: Tally = { accepted: 0, unavailable: 0, withoutRetryAfter: 0, networkErrors: 0, other: [] };
    let next = 0;
    let done = 0;
    const workers = Array.from({ length: CONCURRENCY }, async () => {
      while (next < SUBMISSIONS) {
        const index = next++;
        await submit(index, tally);
        done += 1;
      }
    });
    // The outage script, keyed to progress so it always lands mid-load.
    const outage = (async () => {
      const waitFor = async (count: number) => {
        while (done < count) await sleep(20);
      };
      await waitFor(200);
      await fault('throttle');
      await sleep(1_500);
      await fault('refuse');
      await sleep(1_000);
      await fault('off');
      await waitFor(500);
      // Longer than a function may run (10 s): without its own bound on waiting for the table
      // (two attempts of 2 s) it would time out into a bare 500. Callers get 503 instead, and
      // the held writes reach the table after their callers gave up on them.
      await fault('stall');
      await sleep(12_000);
      await fault('off');
    })();
    const started = Date.now();
    await Promise.all([...workers, outage]);
    const seconds = (Date.now() - started) / 1000;
    const injected = (await (await fetch(`${inject('controlUrl')}/faults/dynamodb`)).json()) as {
      faulted: { throttle: number; refuse: number; stall: number };
    };

    console.log(
      `outage drill: ${SUBMISSIONS} submissions in ${seconds.toFixed(1)} s; ${tally.unavailable} answers 503 (all with Retry-After: ${tally.withoutRetryAfter === 0}), ` +
        `${tally.networkErrors} network errors, ${tally.other.length} other answers; requests faulted at the table: ${JSON.stringify(injected.faulted)}`,
    );
    expect(tally.other).toEqual([]);
    expect(tally.accepted).toBe(SUBMISSIONS);
    expect(tally.withoutRetryAfter).toBe(0);
    // The drill did hit the outage: some requests were faulted and some callers were told to retry.
    expect(injected.faulted.throttle + injected.faulted.refuse).toBeGreaterThan(0);
    expect(injected.faulted.stall).toBeGreaterThan(0);
    expect(tally.unavailable).toBeGreaterThan(0);

    const leads = await allFolded(
      // Folding is the stream's work, behind the drill's backlog, every lead's workflow start and the
      // other stream consumers (consent, campaign triggers) on 2 cores.
      300_000,
    );
    const emails = leads.map((lead) => String(lead.email));
    expect(new Set(emails).size).toBe(emails.length);
    expect(emails.length).toBe(SUBMISSIONS);
    // A retry never had a second effect: every lead was touched once.
    expect(leads.filter((lead) => lead.touches !== 1).map((lead) => [lead.email, lead.touches])).toEqual([]);
  }, 420_000);
});
