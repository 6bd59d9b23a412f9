import { describe, expect, it } from 'vitest';
import { indexWrites, itemBytes, readUnits, requestUnits, writeUnits } from '../../bench/dynamodb-units';
import { estimateVolume, monthlyCost, tracesRecorded, type LeadProfile } from '../../bench/scale-model';

/** A lead profile with round numbers, so that every figure below can be worked out by hand. */
const profile: LeadProfile = {
  functions: [{ functionId: 'CaptureLead', invocations: 2, meanDurationMs: 100, memoryMb: 1024 }],
  scheduled: [],
  dynamodb: {
    writeUnitsPerLead: 4,
    indexWriteUnitsPerLead: 2,
    readUnitsPerLead: 3,
    storedBytesPerLead: 0,
    sharedPartitions: [
      { name: 'STAGE#new', writeUnitsPerLead: 2, partitions: 1 },
      { name: 'FORM#default', writeUnitsPerLead: 1, partitions: 1 },
    ],
  },
  stepFunctions: { transitionsPerLead: 20, executionsPerLead: 1 },
  emailsPerLead: 1,
  eventBridge: { customEventsPerLead: 0, awsServiceEventsPerLead: 2 },
  apiRequestsPerLead: 3,
  logBytesPerLead: 0,
  apiStages: [{ name: 'Api', requestsPerLead: 2, rateLimit: 100 }],
};

// 1,000,000 leads over 730 hours (2,628,000 s) is 0.38052 a second; the burst hour 20 times that.
const burst = (1_000_000 / 2_628_000) * 20;

describe('the scale model', () => {
  it('puts the burst hour at 20 times the average rate', () => {
    const estimate = estimateVolume(profile, 1_000_000, { burstFactor: 20 });
    expect(estimate.averageLeadsPerSecond).toBeCloseTo(0.38052, 5);
    expect(estimate.burstLeadsPerSecond).toBeCloseTo(7.6104, 4);
  });

  it('finds the hottest partition and spreads a sharded one over its shards', () => {
    expect(estimateVolume(profile, 1_000_000, { burstFactor: 20 }).hottestPartition).toEqual({
      name: 'STAGE#new',
      partitions: 1,
      writeUnitsPerSecond: expect.closeTo(burst * 2, 6),
    });
    const sharded = {
      ...profile,
      dynamodb: { ...profile.dynamodb, sharedPartitions: [{ name: 'STAGE#new', writeUnitsPerLead: 2, partitions: 16 }] },
    };
    expect(estimateVolume(sharded, 1_000_000, { burstFactor: 20 }).hottestPartition.writeUnitsPerSecond).toBeCloseTo((burst * 2) / 16, 6);
  });

  it('sizes Lambda concurrency by Little’s law and SES by the burst send rate', () => {
    const estimate = estimateVolume(profile, 1_000_000, { burstFactor: 20 });
    // 7.61 leads/s x 2 invocations x 0.1 s
    expect(estimate.lambdaConcurrency).toBeCloseTo(burst * 0.2, 6);
    expect(estimate.sesSendsPerSecond).toBeCloseTo(burst, 6);
  });

  it('prices a month of 1M leads by service', () => {
    const cost = monthlyCost(profile, 1_000_000);
    // 2M requests ($0.40) + 2M x 0.1 s x 1 GB = 200,000 GB-s ($2.66668)
    expect(cost.lambda).toBeCloseTo(3.06668, 5);
    // 6M write units ($3.75) + 3M read units ($0.375)
    expect(cost.dynamodb).toBeCloseTo(4.125, 6);
    // 20M transitions
    expect(cost.stepFunctions).toBeCloseTo(500, 6);
    expect(cost.ses).toBeCloseTo(100, 6);
    // SES's events on the default bus are AWS service events: free
    expect(cost.eventBridge).toBe(0);
    expect(cost.apiGateway).toBeCloseTo(3, 6);
    // 2M invocations, fewer than the month's seconds: every one sampled by the 1-a-second reservoir
    expect(cost.xRay).toBeCloseTo(10, 6);
    expect(cost.total).toBeCloseTo(620.19168, 5);
    expect(estimateVolume(profile, 1_000_000, { burstFactor: 20 }).costPerThousandLeads).toBeCloseTo(0.62019168, 8);
  });

  it('adds scheduled functions once a month, whatever the volume', () => {
    const withSchedule = {
      ...profile,
      scheduled: [{ functionId: 'AggregateMetrics', invocations: 2_920, meanDurationMs: 1_000, memoryMb: 1024 }],
    };
    // 2,920 requests and 2,920 GB-s
    const extra = (2_920 / 1e6) * 0.2 + 2_920 * 0.0000133334 + (2_920 / 1e6) * 5;
    expect(monthlyCost(withSchedule, 10_000).total - monthlyCost(profile, 10_000).total).toBeCloseTo(extra, 8);
  });

  it('samples X-Ray traces at 1 a second, then 5 %', () => {
    expect(tracesRecorded(1_000_000)).toBe(1_000_000);
    expect(tracesRecorded(10_000_000)).toBeCloseTo(2_628_000 + 0.05 * 7_372_000, 6);
  });

  it('orders the quotas by how near the burst comes to them', () => {
    const estimate = estimateVolume(profile, 1_000_000, { burstFactor: 20 });
    expect(estimate.quotas.map((quota) => quota.quota)).toEqual([
      'SES emails per day (average day)',
      'SES sending rate',
      'Api stage throttle (the stack)',
      'Step Functions state transitions',
      'Step Functions StartExecution',
      'DynamoDB partition writes (STAGE#new)',
      'API Gateway requests (account)',
      'Lambda concurrent executions',
    ]);
    // 1M emails over 30.4 days: 32,877 a day against 50,000
    expect(estimate.quotas[0]?.need).toBeCloseTo((1_000_000 * 24) / 730, 6);
    // 7.61 emails a second against 14; 15.2 keyed requests a second against the stage's 100
    expect(estimate.quotas[1]?.ratio).toBeCloseTo(burst / 14, 6);
    expect(estimate.quotas[2]?.ratio).toBeCloseTo((burst * 2) / 100, 6);
  });
});

describe('DynamoDB units', () => {
  it('sizes an item by its names and values', () => {
    // pk 2+6, n 1+(2 digits pairs)+1, b 1+1, m 1 + 3 + (1 + 'a' 1 + 'xy' 2)
    expect(itemBytes({ pk: { S: 'LEAD#1' }, n: { N: '123' }, b: { BOOL: true }, m: { M: { a: { S: 'xy' } } } })).toBe(22);
  });

  it('rounds writes to 1 KB and reads to 4 KB, doubling transactions and halving eventual reads', () => {
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(writeUnits(10, true)).toBe(2);
    expect(readUnits(4097, 'eventual')).toBe(1);
    expect(readUnits(0, 'strong')).toBe(1);
    expect(readUnits(100, 'transactional')).toBe(2);
  });

  it('bills a transaction item by item, each at the larger of the item sent and the item stored', () => {
    const request = JSON.stringify({
      TransactItems: [
        { Put: { Item: { pk: { S: 'LEAD#1' }, sk: { S: 'LEAD' } } } },
        { Update: { Key: { pk: { S: 'FORM#default' }, sk: { S: 'STATS' } } } },
      ],
    });
    const units = requestUnits('TransactWriteItems', request, '{}', (key) => (key.startsWith('FORM#') ? 1500 : 0));
    expect(units.writeUnits).toBe(2 + 4);
    expect(Object.fromEntries(units.writesByPartition)).toEqual({ 'LEAD#1': 2, 'FORM#default': 4 });
  });

  it('counts an index key change as a delete and a put', () => {
    const lead = (stage: string) => ({ pk: { S: 'LEAD#1' }, sk: { S: 'LEAD' }, gsi1pk: { S: `STAGE#${stage}` }, gsi1sk: { S: 'x' } });
    const byStage = { indexName: 'byStage', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' };
    expect(indexWrites(lead('new'), lead('qualified'), [byStage]).map((write) => write.partition)).toEqual([
      'STAGE#new',
      'STAGE#qualified',
    ]);
    expect(indexWrites(lead('new'), lead('new'), [byStage])).toHaveLength(1);
    expect(indexWrites(undefined, lead('new'), [byStage])).toHaveLength(1);
  });
});
