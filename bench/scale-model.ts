/**
 * The load and cost model of bench/scale.ts, pure so that its arithmetic is unit-tested: from what
 * one lead costs (measured in the local cloud), what a month of N leads needs at its busiest hour
 * and what it costs at public on-demand prices.
 *
 * A month's leads arrive evenly over its 730 hours except for one burst hour at `burstFactor`
 * times the average rate. Everything a lead causes is counted at its arrival rate (its campaign
 * email and its later moves included), so the burst figures are upper bounds: in truth a lead's
 * work spreads over days.
 */

/** Public us-east-1 on-demand prices in USD, as taken on `takenOn`; no free tier, no savings plans. */
export const PRICES = {
  takenOn: '2026-12-01',
  region: 'us-east-1',
  source: 'public on-demand price pages, https://aws.amazon.com/<service>/pricing/',
  lambda: {
    perMillionRequests: 0.2,
    /** The stack's functions are arm64 (infra/constructs/api-function.ts); x86 is $0.0000166667. */
    perGbSecondArm: 0.0000133334,
  },
  dynamodb: {
    /** On-demand throughput, halved in November 2024. */
    perMillionWriteUnits: 0.625,
    perMillionReadUnits: 0.125,
    perGbMonthStorage: 0.25,
    /** Point-in-time recovery is on (infra/constructs/storage.ts): billed on the table's size. */
    perGbMonthPointInTimeRecovery: 0.2,
    /** Stream reads by a Lambda event source mapping are free. */
    perMillionStreamReadsByLambda: 0,
  },
  stepFunctions: { perThousandStandardTransitions: 0.025 },
  ses: { perThousandEmails: 0.1 },
  eventBridge: {
    perMillionCustomEvents: 1.0,
    /** Events that AWS services (here SES's event destination) put on the default bus are free. */
    perMillionAwsServiceEvents: 0,
  },
  apiGateway: { perMillionHttpApiRequests: 1.0 },
  cloudWatchLogs: { perGbIngested: 0.5 },
  /** Tracing is active on every function: the default sampling rule records 1 a second and 5 % of the rest. */
  xRay: { perMillionTracesRecorded: 5.0 },
} as const;

/** Default quotas (us-east-1) the burst is held against; each is per account and region unless it says otherwise. */
export const QUOTAS = {
  /** Lambda concurrent executions (new accounts may start lower). */
  lambdaConcurrency: 1_000,
  /** One DynamoDB partition, of the table or of an index. */
  partitionWriteUnitsPerSecond: 1_000,
  /** SES out of the sandbox: AWS sets it per use case; 14/s is a common start (the sandbox is 1/s, 200 a day). */
  sesSendsPerSecond: 14,
  /** SES emails per 24 hours, likewise: 50,000 is a common start. */
  sesSendsPerDay: 50_000,
  /** Step Functions Standard StartExecution: refill rate (bucket 1,300). */
  startExecutionsPerSecond: 300,
  /** Step Functions Standard state transitions: refill rate (bucket 5,000); new accounts start lower. */
  stateTransitionsPerSecond: 5_000,
  /** API Gateway, all HTTP APIs of the account together (burst 5,000). */
  apiRequestsPerSecond: 10_000,
} as const;

export const HOURS_PER_MONTH = 730;
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
const GB = 1024 ** 3;

export interface FunctionLoad {
  /** The CDK construct id (`CaptureLead`). */
  functionId: string;
  /** Per lead, or per month for a scheduled function. */
  invocations: number;
  meanDurationMs: number;
  memoryMb: number;
}

/** A partition that many leads write to, with how many partitions share that load. */
export interface SharedPartition {
  name: string;
  writeUnitsPerLead: number;
  /** Shards the load spreads over (1: one partition takes it all). */
  partitions: number;
}

/** What one lead costs, measured (bench/scale.ts). */
export interface LeadProfile {
  /** Invocations per lead, by function. */
  functions: FunctionLoad[];
  /** Scheduled functions: invocations per month whatever the volume. */
  scheduled: FunctionLoad[];
  dynamodb: {
    /** Table writes, transactions counted double. */
    writeUnitsPerLead: number;
    /** Writes to the global secondary indexes. */
    indexWriteUnitsPerLead: number;
    readUnitsPerLead: number;
    /** Items left in the table (and their index copies) per lead. */
    storedBytesPerLead: number;
    sharedPartitions: SharedPartition[];
  };
  stepFunctions: { transitionsPerLead: number; executionsPerLead: number };
  emailsPerLead: number;
  eventBridge: { customEventsPerLead: number; awsServiceEventsPerLead: number };
  apiRequestsPerLead: number;
  /** CloudWatch Logs ingested per lead: the functions' lines, Lambda's own, the state machines'. */
  logBytesPerLead: number;
  /** The stack's own limits: each HTTP API stage's throttle, with the requests per lead it takes. */
  apiStages: ApiStageLoad[];
}

export interface ApiStageLoad {
  name: string;
  requestsPerLead: number;
  /** The stage throttle's steady rate (requests a second). */
  rateLimit: number;
}

export interface QuotaUse {
  quota: string;
  need: number;
  limit: number;
  /** need / limit: above 1 the burst is throttled. */
  ratio: number;
}

export interface MonthlyCost {
  lambda: number;
  dynamodb: number;
  stepFunctions: number;
  ses: number;
  eventBridge: number;
  apiGateway: number;
  logs: number;
  xRay: number;
  total: number;
}

export interface VolumeEstimate {
  leadsPerMonth: number;
  averageLeadsPerSecond: number;
  burstLeadsPerSecond: number;
  /** The shared partition with the most write units a second per partition at burst. */
  hottestPartition: { name: string; partitions: number; writeUnitsPerSecond: number };
  lambdaConcurrency: number;
  sesSendsPerSecond: number;
  /** Emails on an average day. */
  sesSendsPerDay: number;
  startExecutionsPerSecond: number;
  stateTransitionsPerSecond: number;
  apiRequestsPerSecond: number;
  cost: MonthlyCost;
  costPerThousandLeads: number;
  /** Every quota the burst meets, the nearest (highest need / limit) first. */
  quotas: QuotaUse[];
}

export interface ModelOptions {
  burstFactor: number;
}

/** The model for one monthly volume. */
export function estimateVolume(profile: LeadProfile, leadsPerMonth: number, options: ModelOptions): VolumeEstimate {
  const averageLeadsPerSecond = leadsPerMonth / SECONDS_PER_MONTH;
  const burstLeadsPerSecond = averageLeadsPerSecond * options.burstFactor;

  const hottest = hottestPartition(profile.dynamodb.sharedPartitions, burstLeadsPerSecond);
  // Little's law: requests in flight = arrival rate x time each one takes.
  const lambdaConcurrency = profile.functions.reduce(
    (sum, fn) => sum + burstLeadsPerSecond * fn.invocations * (fn.meanDurationMs / 1000),
    0,
  );
  const sesSendsPerSecond = burstLeadsPerSecond * profile.emailsPerLead;
  const sesSendsPerDay = ((leadsPerMonth * 24) / HOURS_PER_MONTH) * profile.emailsPerLead;
  const startExecutionsPerSecond = burstLeadsPerSecond * profile.stepFunctions.executionsPerLead;
  const stateTransitionsPerSecond = burstLeadsPerSecond * profile.stepFunctions.transitionsPerLead;
  const apiRequestsPerSecond = burstLeadsPerSecond * profile.apiRequestsPerLead;

  const quotas: QuotaUse[] = [
    use('Lambda concurrent executions', lambdaConcurrency, QUOTAS.lambdaConcurrency),
    use(
      `DynamoDB partition writes (${hottest.name}${hottest.partitions > 1 ? `, 1 of ${hottest.partitions} shards` : ''})`,
      hottest.writeUnitsPerSecond,
      QUOTAS.partitionWriteUnitsPerSecond,
    ),
    use('SES sending rate', sesSendsPerSecond, QUOTAS.sesSendsPerSecond),
    use('SES emails per day (average day)', sesSendsPerDay, QUOTAS.sesSendsPerDay),
    use('Step Functions StartExecution', startExecutionsPerSecond, QUOTAS.startExecutionsPerSecond),
    use('Step Functions state transitions', stateTransitionsPerSecond, QUOTAS.stateTransitionsPerSecond),
    use('API Gateway requests (account)', apiRequestsPerSecond, QUOTAS.apiRequestsPerSecond),
    ...profile.apiStages.map((stage) =>
      use(`${stage.name} stage throttle (the stack)`, burstLeadsPerSecond * stage.requestsPerLead, stage.rateLimit),
    ),
  ].sort((a, b) => b.ratio - a.ratio);

  const cost = monthlyCost(profile, leadsPerMonth);
  return {
    leadsPerMonth,
    averageLeadsPerSecond,
    burstLeadsPerSecond,
    hottestPartition: hottest,
    lambdaConcurrency,
    sesSendsPerSecond,
    sesSendsPerDay,
    startExecutionsPerSecond,
    stateTransitionsPerSecond,
    apiRequestsPerSecond,
    cost,
    costPerThousandLeads: (cost.total / leadsPerMonth) * 1000,
    quotas,
  };
}

/** What `leadsPerMonth` leads cost in a month, by service (storage: the month's new items only). */
export function monthlyCost(profile: LeadProfile, leadsPerMonth: number): MonthlyCost {
  const perLeadInvocations = profile.functions.reduce((sum, fn) => sum + fn.invocations, 0);
  const invocations = perLeadInvocations * leadsPerMonth + profile.scheduled.reduce((sum, fn) => sum + fn.invocations, 0);
  const gbSeconds =
    profile.functions.reduce((sum, fn) => sum + gbSecondsOf(fn) * leadsPerMonth, 0) +
    profile.scheduled.reduce((sum, fn) => sum + gbSecondsOf(fn), 0);
  const lambda = (invocations / 1e6) * PRICES.lambda.perMillionRequests + gbSeconds * PRICES.lambda.perGbSecondArm;

  const { dynamodb: d } = profile;
  const storageGb = (d.storedBytesPerLead * leadsPerMonth) / GB;
  const dynamodb =
    (((d.writeUnitsPerLead + d.indexWriteUnitsPerLead) * leadsPerMonth) / 1e6) * PRICES.dynamodb.perMillionWriteUnits +
    ((d.readUnitsPerLead * leadsPerMonth) / 1e6) * PRICES.dynamodb.perMillionReadUnits +
    storageGb * (PRICES.dynamodb.perGbMonthStorage + PRICES.dynamodb.perGbMonthPointInTimeRecovery);

  const stepFunctions =
    ((profile.stepFunctions.transitionsPerLead * leadsPerMonth) / 1000) * PRICES.stepFunctions.perThousandStandardTransitions;
  const ses = ((profile.emailsPerLead * leadsPerMonth) / 1000) * PRICES.ses.perThousandEmails;
  const eventBridge =
    ((profile.eventBridge.customEventsPerLead * leadsPerMonth) / 1e6) * PRICES.eventBridge.perMillionCustomEvents +
    ((profile.eventBridge.awsServiceEventsPerLead * leadsPerMonth) / 1e6) * PRICES.eventBridge.perMillionAwsServiceEvents;
  const apiGateway = ((profile.apiRequestsPerLead * leadsPerMonth) / 1e6) * PRICES.apiGateway.perMillionHttpApiRequests;
  const logs = ((profile.logBytesPerLead * leadsPerMonth) / GB) * PRICES.cloudWatchLogs.perGbIngested;
  const xRay = (tracesRecorded(invocations) / 1e6) * PRICES.xRay.perMillionTracesRecorded;

  const parts = { lambda, dynamodb, stepFunctions, ses, eventBridge, apiGateway, logs, xRay };
  return { ...parts, total: Object.values(parts).reduce((sum, value) => sum + value, 0) };
}

/** X-Ray's default sampling: the first request each second, then 5 % (one trace per invocation at most). */
export function tracesRecorded(invocationsPerMonth: number): number {
  const reservoir = Math.min(invocationsPerMonth, SECONDS_PER_MONTH);
  return reservoir + 0.05 * (invocationsPerMonth - reservoir);
}

function gbSecondsOf(fn: FunctionLoad): number {
  return fn.invocations * (fn.meanDurationMs / 1000) * (fn.memoryMb / 1024);
}

function hottestPartition(partitions: readonly SharedPartition[], burstLeadsPerSecond: number): VolumeEstimate['hottestPartition'] {
  let hottest: VolumeEstimate['hottestPartition'] = { name: '(none shared)', partitions: 1, writeUnitsPerSecond: 0 };
  for (const partition of partitions) {
    const writeUnitsPerSecond = (burstLeadsPerSecond * partition.writeUnitsPerLead) / partition.partitions;
    if (writeUnitsPerSecond > hottest.writeUnitsPerSecond)
      hottest = { name: partition.name, partitions: partition.partitions, writeUnitsPerSecond };
  }
  return hottest;
}

function use(quota: string, need: number, limit: number): QuotaUse {
  return { quota, need, limit, ratio: need / limit };
}
