/** Runs `total` async jobs with `concurrency` in flight and returns jobs per second. */
export async function throughput(total: number, concurrency: number, job: (index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await job(next++);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}
