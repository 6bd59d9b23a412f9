import { rmSync } from 'node:fs';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../local/cloud';
import { scratchDataDir } from '../local/local-aws';

/**
 * A local cloud for a benchmark: DynamoDB Local in memory, every port free, quiet unless `log` is
 * given (or BENCH_LOG=1, which prints the cloud's log to stderr). Its `stop` also removes the
 * scratch directory it ran in.
 */
export async function startBenchCloud(
  options: Omit<LocalCloudOptions, 'dataDir' | 'inMemory' | 'apiPort' | 'sitePort' | 'dynamoPort'> = {},
): Promise<LocalCloud> {
  const dataDir = scratchDataDir('bench');
  const log =
    process.env.BENCH_LOG === '1'
      ? (line: string) => {
          console.error(line);
        }
      : () => {};
  const cloud = await startLocalCloud({ dataDir, inMemory: true, apiPort: 0, sitePort: 0, dynamoPort: 0, log, ...options });
  return {
    ...cloud,
    async stop() {
      await cloud.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
