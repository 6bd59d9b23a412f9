/**
 * Reading one logical partition that is written in shards (core/keys.ts) as if it were one: a
 * k-way merge of the shards, newest first, one page at a time. Each shard is read lazily, a few
 * items ahead, so a page of n items from s shards reads about n + 2s items, not n times s.
 */

/** Where a reader stands in one shard: at its start (null), after a sort key, or past its end (false). */
export type ShardPosition = string | null | false;

export interface ShardRead<T> {
  /** The items that passed the read's filter, in the shard's order (sort key descending). */
  items: Array<{ sortKey: string; value: T }>;
  /** The sort key of the last item examined, when more may follow (DynamoDB's LastEvaluatedKey). */
  lastEvaluated?: string;
}

export interface MergedPage<T> {
  values: T[];
  /** Where each shard stands after this page: the next page starts there. */
  positions: ShardPosition[];
  reads: number;
}

interface ShardState<T> {
  /** The last sort key handed out from this shard, or where the page started. */
  position: ShardPosition;
  /** Where the next read of this shard starts. */
  next: string | null;
  buffer: Array<{ sortKey: string; value: T }>;
  exhausted: boolean;
}

/**
 * Up to `limit` values from the shards, sort key descending across all of them. An item is
 * handed out only when every shard that may hold a later one has an item in hand, so the order is
 * exact. At most `maxReads` reads (a filter that rejects most items could otherwise read a whole
 * shard for one page): the page then ends short and its positions carry on from there. Every read
 * advances a position, so paging always makes progress.
 */
export async function mergeShardsDescending<T>(options: {
  positions: readonly ShardPosition[];
  limit: number;
  maxReads: number;
  read: (shard: number, after: string | null, limit: number) => Promise<ShardRead<T>>;
}): Promise<MergedPage<T>> {
  const shards: Array<ShardState<T>> = options.positions.map((position) => ({
    position,
    next: position === false ? null : position,
    buffer: [],
    exhausted: position === false,
  }));
  const values: T[] = [];
  let reads = 0;
  while (values.length < options.limit) {
    const empty = shards.filter((shard) => shard.buffer.length === 0 && !shard.exhausted);
    if (empty.length > 0) {
      if (reads + empty.length > options.maxReads) break;
      const live = shards.filter((shard) => !shard.exhausted).length;
      // A fair share of what the page still needs, and one more so that a shard rarely runs dry mid-page.
      const ahead = Math.ceil((options.limit - values.length) / live) + 1;
      await Promise.all(
        empty.map(async (shard) => {
          const page = await options.read(shards.indexOf(shard), shard.next, ahead);
          shard.buffer.push(...page.items);
          if (page.lastEvaluated === undefined) shard.exhausted = true;
          else shard.next = page.lastEvaluated;
        }),
      );
      reads += empty.length;
      continue;
    }
    let newest: { shard: ShardState<T>; item: { sortKey: string; value: T } } | undefined;
    for (const shard of shards) {
      const head = shard.buffer[0];
      if (head && (!newest || head.sortKey > newest.item.sortKey)) newest = { shard, item: head };
    }
    if (!newest) break;
    newest.shard.buffer.shift();
    values.push(newest.item.value);
    newest.shard.position = newest.item.sortKey;
  }
  return {
    values,
    reads,
    positions: shards.map((shard) => {
      if (shard.buffer.length > 0) return shard.position;
      // Everything read from this shard was handed out or filtered away: go on after the last item examined.
      return shard.exhausted ? false : shard.next;
    }),
  };
}
