/** Runs `total` async jobs with `concurrency` in flight. */
export async function pool(total: number, concurrency: number, job: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await job(next++);
    }),
  );
}

/** Runs `total` async jobs with `concurrency` in flight and returns jobs per second. */
export async function throughput(total: number, concurrency: number, job: (index: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  await pool(total, concurrency, job);
  return total / ((performance.now() - started) / 1000);
}
