import { addInto, emptyAggregate, type Aggregate } from './aggregate';
import { byPosition, contributionsOf, type MetricEvent } from './events';
import type { AggregateKey } from './keys';

export interface AggregateDelta {
  key: AggregateKey;
  delta: Aggregate;
}

/** One atomic write: these deltas, and the watermark moved to `watermark` (a position). */
export interface FoldCommit {
  deltas: AggregateDelta[];
  /** How many events this commit folds. */
  events: number;
  watermark: string;
}

export interface FoldWindow {
  /** The position folded through so far: events at or before it are already counted. */
  watermark: string;
  /** Every event with a position up to here is in the batch (a cutoff time or an event's position). */
  upTo: string;
  /** The most aggregate items one commit may touch (a transaction's limit, less the watermark). */
  maxItems: number;
}

/**
 * Plans the commits that fold a batch of events into daily aggregates. Only events after the
 * watermark and up to `upTo` count: an event at or before the watermark was folded by an earlier
 * commit, which is what makes running the aggregator twice over the same window count nothing
 * twice. Events are taken in position order and cut into commits of at most `maxItems` aggregate
 * items; each commit moves the watermark to its last event, the last one to `upTo`, so that a
 * commit's deltas and its watermark can be written together atomically.
 */
export function planCommits(events: readonly MetricEvent[], window: FoldWindow): FoldCommit[] {
  if (window.upTo <= window.watermark) return [];
  const pending = events.filter((event) => event.position > window.watermark && event.position <= window.upTo).sort(byPosition);

  const commits: FoldCommit[] = [];
  let deltas = new Map<string, AggregateDelta>();
  let folded = 0;
  let last = window.watermark;
  for (const event of pending) {
    const contributions = contributionsOf(event);
    const added = contributions.filter(({ key }) => !deltas.has(keyId(key))).length;
    if (deltas.size + added > window.maxItems && folded > 0) {
      commits.push({ deltas: [...deltas.values()], events: folded, watermark: last });
      deltas = new Map();
      folded = 0;
    }
    for (const { key, delta } of contributions) {
      const id = keyId(key);
      const entry = deltas.get(id) ?? { key, delta: emptyAggregate() };
      addInto(entry.delta, delta);
      deltas.set(id, entry);
    }
    folded++;
    last = event.position;
  }
  commits.push({ deltas: [...deltas.values()], events: folded, watermark: window.upTo });
  return commits;
}

function keyId(key: AggregateKey): string {
  return `${key.dimension}\u0000${key.day}\u0000${key.value}`;
}
