import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';
import { scratchDataDir } from '../../local/local-aws';
import { defaultLifecycle } from '../../infra/app';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    siteUrl: string;
    adminKey: string;
    dynamoEndpoint: string;
    tableName: string;
    mailboxUrl: string;
    sfnEndpoint: string;
    controlUrl: string;
    timeScale: number;
    lifecycleStateMachineArn: string;
    /** An origin the API's CORS configuration allows (CDK context `dashboardOrigins`). */
    dashboardOrigin: string;
    /** The keyed API's stage throttle set through CDK context `apiThrottle`. */
    apiThrottle: { rateLimit: number; burstLimit: number };
    /** Everything the local cloud and its functions logged during the run, a line each. */
    cloudLogFile: string;
  }
}

/** A dashboard hosted elsewhere: the keyed API's CORS configuration allows it. */
const dashboardOrigin = 'https://dashboard.leadflow.test';
/**
 * Above the deployed default (100/s, burst 200): the suite's fuzzing and concurrency tests run
 * faster than people do. The throttle test lowers it through the control plane, as UpdateStage would.
 */
const apiThrottle = { rateLimit: 1000, burstLimit: 2000 };

let cloud: LocalCloud | undefined;
let dataDir: string | undefined;
let cloudLog: WriteStream | undefined;

/** One local cloud (real DynamoDB Local, the synthesized bundles) for every integration file. */
export async function setup(project: TestProject): Promise<void> {
  // Under the repo so the bundles resolve the AWS SDK from node_modules, as the Lambda runtime provides it.
  dataDir = scratchDataDir('test');
  // A workflow day passes in 0.1 s: the 90-day upsell arrives 9 s after a win.
  const timeScale = 864_000;
  // Kept for the tests that read what the functions logged (no personal data, correlation keys).
  const cloudLogFile = path.resolve('test-results', 'local-cloud.log');
  mkdirSync(path.dirname(cloudLogFile), { recursive: true });
  const log = createWriteStream(cloudLogFile);
  cloudLog = log;
  cloud = await startLocalCloud({
    dataDir,
    inMemory: true,
    apiPort: 0,
    sitePort: 0,
    dynamoPort: 0,
    timeScale,
    log: (line) => log.write(`${line}\n`),
    // At 10 workflow days a second, the default stale reminder (every 14 days) would email every
    // idle lead's owner more than once a second for the whole run, and the nurture re-check (every
    // 30 days) would fire for every nurturing lead every 3 s: the outage drill's own 1,000 leads
    // made hundreds of timers a second that starved the fold it waits for. Every 300 days (30 s
    // here) keeps the background to a trickle; the first follow-ups, which the tests check, keep
    // their defaults (and recycling after 300 keeps the scripted funnels' qualified leads where the
    // scripts put them).
    context: {
      dashboardOrigins: [dashboardOrigin],
      apiThrottle,
      // Campaign tests count emails, not the pace: the SES account rate of a real deployment is not the point here.
      campaignSendRate: 1000,
      lifecycle: {
        ...defaultLifecycle,
        followUps: { staleRemindEvery: 'P300D', nurtureRecheckEvery: 'P300D' },
        recycleQualifiedAfter: 'P300D',
      },
      // The suite bounces and complains on purpose (ses-events.test.ts): judged over its few hundred
      // sends, that would pause every other file's active campaigns. The guard has its own cloud
      // (deliverability-guard.test.ts); here it never reaches its minimum of sends.
      deliverabilityGuard: { minimumSends: 1_000_000 },
    },
  });
  project.provide('dashboardOrigin', dashboardOrigin);
  project.provide('apiThrottle', apiThrottle);
  project.provide('cloudLogFile', cloudLogFile);
  project.provide('apiUrl', cloud.apiUrl);
  project.provide('siteUrl', cloud.siteUrl);
  project.provide('adminKey', cloud.adminKey);
  project.provide('dynamoEndpoint', cloud.dynamoEndpoint);
  project.provide('tableName', cloud.tableName);
  project.provide('mailboxUrl', cloud.mailbox.storeUrl);
  project.provide('sfnEndpoint', cloud.sfnEndpoint);
  project.provide('controlUrl', cloud.controlUrl);
  project.provide('timeScale', cloud.timeScale);
  project.provide('lifecycleStateMachineArn', cloud.stateMachines.LeadLifecycle!);
}

export async function teardown(): Promise<void> {
  await cloud?.stop();
  cloudLog?.end();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
