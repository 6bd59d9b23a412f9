import { addInto, emptyAggregate } from '../../core/metrics/aggregate';
import type { MetricEvent } from '../../core/metrics/events';
import { planCommits, type FoldCommit } from '../../core/metrics/fold';
import type { StoredAggregate } from '../../core/metrics/report';
import type { Stage } from '../../core/stages';

/** Shared by the metrics tests: events as the platform writes them, and an in-memory aggregate store. */
let sequence = 0;

/** An event that happened `at` and was written (ingested) at `ingestedAt` (by default, at once). */
export function event(type: string, at: string, data: Record<string, unknown>, ingestedAt = at, leadId = 'ld_test'): MetricEvent {
  const entryId = `e${String(++sequence).padStart(6, '0')}`;
  return { leadId, entryId, at, type, actor: 'test', data, position: `${ingestedAt}#${entryId}` };
}

export function captured(at: string, source: string, campaign?: string, ingestedAt?: string): MetricEvent {
  return event(
    'captured',
    at,
    { formId: 'default', source, touch: { at, formId: 'default', source, ...(campaign && { campaign }) } },
    ingestedAt,
  );
}

export function moved(
  at: string,
  from: Stage,
  to: Stage,
  secondsInPrevious: number,
  extra: { owner?: string; source?: string; dealValue?: number; currency?: string; leadCreatedAt?: string } = {},
): MetricEvent {
  return event('stage_changed', at, { from, to, secondsInPrevious, source: 'web', leadCreatedAt: '2026-03-01T00:00:00.000Z', ...extra });
}

/**
 * The aggregate items and watermark of a table, with the same all-or-nothing, conditioned commit
 * the aggregator writes in a DynamoDB transaction.
 */
export class AggregateStore {
  readonly items = new Map<string, StoredAggregate>();
  watermark = '2026-01-01T00:00:00.000Z';

  apply(commits: FoldCommit[], readWatermark = this.watermark): number {
    let folded = 0;
    for (const commit of commits) {
      if (this.watermark !== readWatermark) throw new Error('the watermark moved');
      for (const { key, delta } of commit.deltas) {
        const id = `${key.dimension}|${key.day}|${key.value}`;
        const item = this.items.get(id) ?? { key, aggregate: emptyAggregate() };
        addInto(item.aggregate, delta);
        this.items.set(id, item);
      }
      this.watermark = readWatermark = commit.watermark;
      folded += commit.events;
    }
    return folded;
  }

  /** One aggregator run over everything written up to `upTo`. */
  fold(events: MetricEvent[], upTo: string, maxItems = 99): number {
    return this.apply(planCommits(events, { watermark: this.watermark, upTo, maxItems }));
  }

  all(): StoredAggregate[] {
    return [...this.items.values()];
  }
}
