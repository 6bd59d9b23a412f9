/**
 * State transitions (and Step Functions cost) of the whole lifecycle path
 * new -> qualified -> presentation -> objection -> closing -> won -> retention emails,
 * counted from the execution's own history in the local cloud. Each move is made once the
 * workflow waits for it, so no follow-up timer fires and the count is the path's own.
 * Prints figures; asserts nothing.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../core/keys';
import { startBenchCloud } from './bench-cloud';
import { qualifiedBenchProfile } from './generate';

const PRICE_PER_1000_TRANSITIONS = 0.025;
const BUDGET = 20;
// Half a second per workflow day: follow-up timers (1-3 days) outlast each move; the 90-day upsell comes after 45 s.
const TIME_SCALE = 172_800;

const cloud = await startBenchCloud({
  timeScale: TIME_SCALE,
});
const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...local, endpoint: cloud.dynamoEndpoint }));
const sfn = new SFNClient({ ...local, endpoint: cloud.sfnEndpoint });
const auth = { authorization: `Bearer ${cloud.adminKey}`, 'content-type': 'application/json' };

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The workflow is parked on this lead in `stage` (its task token is registered). */
async function waitingIn(leadId: string, stage: string): Promise<void> {
  await until(async () => {
    const { Item } = await documents.send(new GetCommand({ TableName: cloud.tableName, Key: keys.workflow(leadId), ConsistentRead: true }));
    return Item?.stage === stage ? true : undefined;
  });
}

async function captureQualifiedLead(email: string): Promise<string> {
  // Keyed, so the answer names the lead (a public one answers only a submission id).
  const captured = await fetch(`${cloud.apiUrl}/v1/forms/default/submissions`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ email, ...qualifiedBenchProfile }),
  });
  return ((await captured.json()) as { leadId: string }).leadId;
}

try {
  // Warm every function on the path once (cold worker starts would outlast a scaled day).
  const warmLeadId = await captureQualifiedLead('bench.warmup@example.com');
  await waitingIn(warmLeadId, 'qualified');
  await fetch(`${cloud.apiUrl}/v1/leads/${warmLeadId}/stage`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ stage: 'presentation' }),
  });
  await waitingIn(warmLeadId, 'presentation');

  const started = performance.now();
  const leadId = await captureQualifiedLead('bench.lifecycle@example.com');

  let stage = 'qualified';
  for (const move of [
    { stage: 'presentation' },
    { stage: 'objection', objection: { type: 'price' } },
    { stage: 'closing' },
    { stage: 'won', dealValue: 25_000 },
  ]) {
    await waitingIn(leadId, stage);
    const response = await fetch(`${cloud.apiUrl}/v1/leads/${leadId}/stage`, { method: 'POST', headers: auth, body: JSON.stringify(move) });
    if (response.status !== 200) throw new Error(`move to ${move.stage}: ${response.status} ${await response.text()}`);
    stage = move.stage;
  }

  const stateMachineArn = cloud.stateMachines.LeadLifecycle;
  if (stateMachineArn === undefined) throw new Error('the local cloud runs no LeadLifecycle state machine');
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${leadId}`;
  await until(async () => {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED') throw new Error(`execution ${status}`);
    return status === 'SUCCEEDED' ? true : undefined;
  });
  const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  const states = events.filter((event) => event.type?.endsWith('StateEntered')).map((event) => event.stateEnteredEventDetails?.name);
  const transitions = states.length;
  const costPerMillion = (transitions * 1_000_000 * PRICE_PER_1000_TRANSITIONS) / 1000;

  console.log(
    `lifecycle benchmark: capture -> won -> 4 retention emails (time scale ${TIME_SCALE}x, ${((performance.now() - started) / 1000).toFixed(1)} s wall)`,
  );
  console.log(`  states entered    ${states.join(' > ')}`);
  console.log(`  transitions       ${transitions}   (budget ${BUDGET})`);
  console.log(
    `  cost per million leads on that path  $${costPerMillion.toFixed(2)}   (budget $${((BUDGET * 1_000_000 * PRICE_PER_1000_TRANSITIONS) / 1000).toFixed(2)}; $0.025 per 1,000 transitions)`,
  );
} finally {
  await cloud.stop();
}
