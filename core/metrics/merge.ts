import { byPosition, type MetricEvent } from './events';

/** The next page of one shard's events, in position order; `done` once the shard has no more. */
export type NextPage = () => Promise<{ events: MetricEvent[]; done: boolean }>;

export interface MergedBatch {
  /** In position order. */
  events: MetricEvent[];
  /**
   * Every event up to this position, in every shard, is in this batch or an earlier one; undefined
   * once all shards are read to their end. A watermark may advance to it and skip nothing.
   */
  readThrough: string | undefined;
}

/**
 * Merges the position-ordered shards of a day partition into batches in global position order,
 * holding at most one page per shard in memory. A batch ends at the smallest last-read position
 * among the shards not yet exhausted: beyond it, a slower shard may still hold an earlier event.
 */
export async function* mergeShards(shards: readonly NextPage[]): AsyncGenerator<MergedBatch> {
  const state = shards.map((next) => ({ next, buffer: [] as MetricEvent[], done: false }));
  for (;;) {
    await Promise.all(
      state
        .filter((shard) => !shard.done && shard.buffer.length === 0)
        .map(async (shard) => {
          const page = await shard.next();
          shard.buffer.push(...page.events);
          shard.done = page.done;
        }),
    );
    const open = state.filter((shard) => !shard.done);
    if (open.some((shard) => shard.buffer.length === 0)) continue;
    const readThrough = open.flatMap((shard) => shard.buffer.at(-1)?.position ?? []).sort()[0];
    const events: MetricEvent[] = [];
    for (const shard of state) {
      const cut = readThrough === undefined ? shard.buffer.length : shard.buffer.findIndex((event) => event.position > readThrough);
      events.push(...shard.buffer.splice(0, cut === -1 ? shard.buffer.length : cut));
    }
    events.sort(byPosition);
    yield { events, readThrough };
    if (readThrough === undefined) return;
  }
}
