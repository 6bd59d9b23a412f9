import { describe, expect, it } from 'vitest';
import { mergeShardsDescending, type ShardPosition, type ShardRead } from '../../core/sharded-page';

/** Shards held in memory the way the index holds them: sort keys descending, a page limit counting items examined. */
function shardsOf(keys: string[][], keep: (key: string) => boolean = () => true) {
  const sorted = keys.map((shard) => [...shard].sort().reverse());
  const reads: Array<{ shard: number; limit: number }> = [];
  const read = (shard: number, after: string | null, limit: number): Promise<ShardRead<string>> => {
    reads.push({ shard, limit });
    const rest = sorted[shard]!.filter((key) => after === null || key < after);
    const examined = rest.slice(0, limit);
    return Promise.resolve({
      items: examined.filter(keep).map((key) => ({ sortKey: key, value: key })),
      ...(rest.length > limit && { lastEvaluated: examined.at(-1)! }),
    });
  };
  return { read, reads };
}

/** Every page until the positions are all past their ends. */
async function pageThrough(
  read: (shard: number, after: string | null, limit: number) => Promise<ShardRead<string>>,
  shards: number,
  limit: number,
  maxReads = 64,
) {
  let positions: ShardPosition[] = Array.from({ length: shards }, () => null);
  const pages: string[][] = [];
  while (positions.some((position) => position !== false)) {
    const page = await mergeShardsDescending({ positions, limit, maxReads, read });
    pages.push(page.values);
    positions = page.positions;
    if (pages.length > 10_000) throw new Error('paging made no progress');
  }
  return pages;
}

/** `count` keys `<time>#<id>` spread over `shards` the way a hash spreads lead ids. */
function generatedKeys(count: number, shards: number): string[][] {
  const out: string[][] = Array.from({ length: shards }, () => []);
  for (let i = 0; i < count; i++) {
    const at = new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 3) * 1000).toISOString();
    out[(i * 7919) % shards]!.push(`${at}#ld_${String(i).padStart(5, '0')}`);
  }
  return out;
}

describe('reading a sharded partition as one', () => {
  it('pages through every item exactly once, newest first across all shards', async () => {
    const keys = generatedKeys(1_000, 16);
    const { read } = shardsOf(keys);
    const pages = await pageThrough(read, 16, 25);
    const all = pages.flat();
    expect(all).toEqual(keys.flat().sort().reverse());
    expect(pages.slice(0, -1).every((page) => page.length === 25)).toBe(true);
  });

  it('reads about the page plus two items a shard, not the page from every shard', async () => {
    const { read, reads } = shardsOf(generatedKeys(1_000, 16));
    const page = await mergeShardsDescending({ positions: Array.from({ length: 16 }, () => null), limit: 50, maxReads: 64, read });
    expect(page.values).toHaveLength(50);
    const examined = reads.reduce((sum, { limit }) => sum + limit, 0);
    expect(examined).toBeLessThanOrEqual(50 + 3 * 16);
    expect(page.reads).toBe(reads.length);
  });

  it('keeps the order exact when one shard holds all the newest items', async () => {
    const keys = generatedKeys(200, 4);
    keys[2]!.push(...Array.from({ length: 30 }, (_, i) => `2027-01-01T00:00:${String(i).padStart(2, '0')}.000Z#ld_hot${i}`));
    const { read } = shardsOf(keys);
    const all = (await pageThrough(read, 4, 10)).flat();
    expect(all).toEqual(keys.flat().sort().reverse());
  });

  it('filters: only matching items, in order, and the positions move past what was filtered away', async () => {
    const keys = generatedKeys(600, 8);
    const keep = (key: string) => key.endsWith('7');
    const { read } = shardsOf(keys, keep);
    const all = (await pageThrough(read, 8, 10)).flat();
    expect(all).toEqual(keys.flat().filter(keep).sort().reverse());
  });

  it('ends a page short at its read budget, and the next page goes on from there', async () => {
    const keys = generatedKeys(400, 8);
    const keep = (key: string) => key.endsWith('00');
    const { read } = shardsOf(keys, keep);
    const pages = await pageThrough(read, 8, 5, 8);
    expect(pages.some((page) => page.length < 5 && page !== pages.at(-1))).toBe(true);
    expect(pages.flat()).toEqual(keys.flat().filter(keep).sort().reverse());
  });

  it('skips shards already past their end, and hands out nothing from an empty partition', async () => {
    const { read, reads } = shardsOf([[], ['b#1', 'a#2'], []]);
    const page = await mergeShardsDescending({ positions: [false, null, null], limit: 10, maxReads: 10, read });
    expect(page.values).toEqual(['b#1', 'a#2']);
    expect(page.positions).toEqual([false, false, false]);
    expect(reads.map(({ shard }) => shard)).not.toContain(0);
  });
});
