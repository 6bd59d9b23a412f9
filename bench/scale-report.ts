/** bench/scale.ts's output: the measured per-lead profile, then the model, as markdown tables. */
import type { DynamoDbLoad } from './scale-measure';
import { PRICES, QUOTAS, type LeadProfile, type VolumeEstimate } from './scale-model';

const money = (value: number) => (value >= 100 ? `$${value.toFixed(0)}` : value >= 1 ? `$${value.toFixed(2)}` : `$${value.toFixed(3)}`);
const figure = (value: number, digits = 2) => value.toLocaleString('en-US', { maximumFractionDigits: digits });
const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;

/** What one lead cost, with the figures that are not in the model's profile (requests by operation, SES events). */
export function printProfile(profile: LeadProfile, details: { dynamodb: DynamoDbLoad; sesEventsPerLead: number }): void {
  console.log('Measured per lead');
  console.log('');
  console.log(row(['function', 'invocations / lead', 'mean duration ms', 'memory MB']));
  console.log(row(['---', '---:', '---:', '---:']));
  for (const fn of profile.functions) console.log(row([fn.functionId, figure(fn.invocations), figure(fn.meanDurationMs, 0), fn.memoryMb]));
  for (const fn of profile.scheduled) {
    console.log(row([`${fn.functionId} (scheduled)`, `${figure(fn.invocations, 0)} / month`, figure(fn.meanDurationMs, 0), fn.memoryMb]));
  }
  console.log('');
  const { dynamodb } = details;
  const operations = dynamodb.requestsPerLeadByOperation.map(([operation, perLead]) => `${operation} ${figure(perLead, 1)}`).join(', ');
  console.log(row(['measure', 'per lead']));
  console.log(row(['---', '---:']));
  console.log(
    row([
      'Lambda invocations',
      figure(
        profile.functions.reduce((sum, fn) => sum + fn.invocations, 0),
        1,
      ),
    ]),
  );
  console.log(row(['DynamoDB requests', `${figure(dynamodb.requestsPerLead, 1)} (${operations})`]));
  console.log(row(['DynamoDB write request units, table (transactions x2)', figure(dynamodb.writeUnitsPerLead, 1)]));
  console.log(row(['DynamoDB write request units, indexes', figure(dynamodb.indexWriteUnitsPerLead, 1)]));
  console.log(row(['DynamoDB read request units', figure(dynamodb.readUnitsPerLead, 1)]));
  console.log(row(['DynamoDB bytes stored (items + index copies)', figure(dynamodb.storedBytesPerLead, 0)]));
  for (const partition of dynamodb.sharedPartitions.slice(0, 4)) {
    const shards = partition.partitions > 1 ? ` (${partition.partitions} shards)` : '';
    console.log(row([`write units into shared partition ${partition.name}${shards}`, figure(partition.writeUnitsPerLead, 2)]));
  }
  console.log(row(['Step Functions executions started', figure(profile.stepFunctions.executionsPerLead, 2)]));
  console.log(row(['Step Functions state transitions', figure(profile.stepFunctions.transitionsPerLead, 1)]));
  console.log(row(['SES emails sent', figure(profile.emailsPerLead, 2)]));
  console.log(row(['EventBridge events (SES events on the default bus; no custom events)', figure(details.sesEventsPerLead, 2)]));
  const byStage = profile.apiStages.map((stage) => `${stage.name} ${figure(stage.requestsPerLead, 2)}`).join(', ');
  console.log(row(['API Gateway requests', `${figure(profile.apiRequestsPerLead, 1)} (${byStage})`]));
  console.log(
    row([
      "CloudWatch Logs bytes (functions' lines measured; Lambda's, Step Functions' and access logs estimated)",
      figure(profile.logBytesPerLead, 0),
    ]),
  );
  console.log('');
}

/** The model's table, one row per volume, with the prices, then the quotas at the largest volume. */
export function printModel(profile: LeadProfile, estimates: readonly VolumeEstimate[], burstFactor: number): void {
  const p = PRICES;
  console.log(
    `Model: ${burstFactor}x burst hour; ${p.region} on-demand prices as of ${p.takenOn} (${p.source}): ` +
      `Lambda $${p.lambda.perMillionRequests}/1M requests + $${p.lambda.perGbSecondArm}/GB-s arm64; ` +
      `DynamoDB $${p.dynamodb.perMillionWriteUnits}/1M WRU, $${p.dynamodb.perMillionReadUnits}/1M RRU, ` +
      `$${p.dynamodb.perGbMonthStorage}/GB-month + PITR $${p.dynamodb.perGbMonthPointInTimeRecovery}; ` +
      `Step Functions $${p.stepFunctions.perThousandStandardTransitions}/1,000 transitions; SES $${p.ses.perThousandEmails}/1,000 emails; ` +
      `EventBridge $${p.eventBridge.perMillionCustomEvents}/1M custom events (AWS service events free); ` +
      `HTTP API $${p.apiGateway.perMillionHttpApiRequests}/1M; Logs $${p.cloudWatchLogs.perGbIngested}/GB; ` +
      `X-Ray $${p.xRay.perMillionTracesRecorded}/1M traces. No free tier.`,
  );
  console.log('');
  const columns = [
    ['leads / month', '---:'],
    ['avg / burst leads/s', '---:'],
    ['hottest partition WCU/s', '---'],
    ['Lambda concurrency', '---:'],
    ['SES sends/s', '---:'],
    ['Lambda', '---:'],
    ['DynamoDB', '---:'],
    ['Step Functions', '---:'],
    ['SES', '---:'],
    ['API GW', '---:'],
    ['Logs + X-Ray', '---:'],
    ['total / month', '---:'],
    ['per 1,000 leads', '---:'],
    ['first quota (need / limit)', '---'],
  ];
  console.log(row(columns.map(([title = '']) => title)));
  console.log(row(columns.map(([, align = '---']) => align)));
  for (const estimate of estimates) {
    const [first] = estimate.quotas;
    console.log(
      row([
        figure(estimate.leadsPerMonth, 0),
        `${figure(estimate.averageLeadsPerSecond, 3)} / ${figure(estimate.burstLeadsPerSecond, 2)}`,
        `${figure(estimate.hottestPartition.writeUnitsPerSecond, 1)} (${estimate.hottestPartition.name})`,
        figure(estimate.lambdaConcurrency, 1),
        figure(estimate.sesSendsPerSecond, 2),
        money(estimate.cost.lambda),
        money(estimate.cost.dynamodb),
        money(estimate.cost.stepFunctions),
        money(estimate.cost.ses),
        money(estimate.cost.apiGateway),
        money(estimate.cost.logs + estimate.cost.xRay),
        money(estimate.cost.total),
        money(estimate.costPerThousandLeads),
        first ? `${first.quota}: ${figure(first.need, 1)} / ${figure(first.limit, 0)} (${figure(first.ratio * 100, 0)} %)` : '-',
      ]),
    );
  }
  console.log('');
  const largest = estimates.at(-1);
  if (largest) {
    console.log(`Quotas at ${figure(largest.leadsPerMonth, 0)} leads/month, burst hour, nearest first:`);
    for (const quota of largest.quotas) {
      const need = figure(quota.need, 1).padStart(9);
      console.log(
        `  ${quota.quota.padEnd(60)} need ${need}  limit ${figure(quota.limit, 0).padStart(7)}  ${figure(quota.ratio * 100, 0).padStart(5)} %`,
      );
    }
    // What the sharding of byStage buys: the stage every capture lands in, at the largest burst.
    const stage = profile.dynamodb.sharedPartitions.find((partition) => partition.name === 'STAGE#new');
    if (stage) {
      const perShard = (shards: number) => figure((largest.burstLeadsPerSecond * stage.writeUnitsPerLead) / shards, 1);
      console.log(
        `  byStage STAGE#new takes ${figure(stage.writeUnitsPerLead, 2)} WCU per lead: ${perShard(1)} WCU/s in one partition, ` +
          `${perShard(8)} in each of 8 shards, ${perShard(16)} in each of 16 (the layout declares ${stage.partitions})`,
      );
    }
  }
  const stages = profile.apiStages.map((stage) => `${stage.name} ${stage.rateLimit}/s`).join(', ');
  console.log(
    `quotas: Lambda ${QUOTAS.lambdaConcurrency} concurrent; partition ${QUOTAS.partitionWriteUnitsPerSecond} WCU/s; ` +
      `SES ${QUOTAS.sesSendsPerSecond}/s and ${figure(QUOTAS.sesSendsPerDay, 0)}/day (a common production start, set per account; sandbox 1/s, 200/day); ` +
      `StartExecution ${QUOTAS.startExecutionsPerSecond}/s; transitions ${QUOTAS.stateTransitionsPerSecond}/s; ` +
      `HTTP API ${QUOTAS.apiRequestsPerSecond}/s; the stack's stage throttles ${stages}`,
  );
}
