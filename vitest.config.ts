import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The mail audit runs after everything else, the drills included: it checks every email the
 * suite made the platform send.
 */
const MAIL_AUDIT = /\/mail-audit\.test\.ts$/;

/**
 * The drills run last: the outage drill leaves 1,000 new leads whose workflows keep the local
 * cloud's table stream and engine busy for a while, and fuzzing sends 5,000 requests. Run earlier,
 * their aftermath would only slow the files after them; every other file keeps vitest's order.
 */
const DRILLS = /\/(outage|fuzz)\.test\.ts$/;

class DrillsThenAuditLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const drills = sorted.filter((file) => DRILLS.test(file.moduleId));
    // Fuzzing before the outage drill, whose 1,000 workflows would slow it.
    drills.sort((a, b) => Number(a.moduleId.endsWith('outage.test.ts')) - Number(b.moduleId.endsWith('outage.test.ts')));
    const audit = sorted.filter((file) => MAIL_AUDIT.test(file.moduleId));
    const rest = sorted.filter((file) => !DRILLS.test(file.moduleId) && !MAIL_AUDIT.test(file.moduleId));
    return [...rest, ...drills, ...audit];
  }
}

export default defineConfig({
  test: {
    // A root option: vitest takes the sequencer from the root configuration, not from a project.
    sequence: { sequencer: DrillsThenAuditLastSequencer },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          env: { TABLE_NAME: 'leadflow-test', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          // The functions run on Node.js 24 when deployed; the SDK's notice about this machine's Node.js is noise.
          env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One local cloud serves every file; files run one after another to keep the 2 cores for it.
          fileParallelism: false,
        },
      },
    ],
  },
});
