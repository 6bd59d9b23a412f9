import { describe, expect, it } from 'vitest';
import { indexKeyPatterns, keyPatterns, keys } from '../../core/keys';
import { metricKeyPatterns, metricKeys } from '../../core/metrics/keys';

/** IAM StringLike: `*` is any run of characters, `?` any one; everything else is literal. */
function stringLike(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
}

const patterns = { ...keyPatterns, ...metricKeyPatterns };

/** One partition key of every item kind of the layout, by the pattern name its grants must use. */
const examples: Array<[keyof typeof patterns, string]> = [
  ['lead', keys.lead('lead-1').pk],
  ['lead', keys.history('lead-1', '2025-01-01T00:00:00.000Z', 'entry-1').pk],
  ['lead', keys.emailClaim('lead-1', 'abc').pk],
  ['lead', keys.workflow('lead-1').pk],
  ['form', keys.form('contact').pk],
  ['form', keys.formStats('contact').pk],
  ['apiKey', keys.apiKey('hash').pk],
  ['apiKeyIndex', keys.apiKeyById('key_0123456789abcdef').pk],
  ['lead', keys.idempotencyRef('lead-1', 'contact', 'key-1').pk],
  ['submission', keys.submission('sb_1').pk],
  ['suppression', keys.suppression('hash').pk],
  ['audit', keys.audit('2025-01-01T00:00:00.000Z', 'audit-1').pk],
  ['idempotency', keys.idempotency('contact', 'key-1').pk],
  ['ownerCounter', keys.ownerCounter().pk],
  ['health', keys.health().pk],
  ['rate', keys.formRate('contact', 1_700_000_000).pk],
  ['rate', keys.clientRate('contact', 1_700_000_000, 'client').pk],
  ['rules', keys.rulesVersion('v1').pk],
  ['rules', keys.activeRules().pk],
  ['job', keys.job('rescore-1').pk],
  ['config', keys.lifecycleConfig().pk],
  ['config', keys.lifecycleConfigChange(3).pk],
  ['job', keys.aggregationLock().pk],
  ['campaigns', keys.campaign('cmp_1').pk],
  ['campaign', keys.campaignStats('cmp_1', 3).pk],
  ['templates', keys.emailTemplate('welcome').pk],
  ['lead', keys.emailEvent('lead-1', 'msg-1', 'delivered').pk],
  ['deliverability', keys.deliverabilityCounts('2026-03-10T09', 5).pk],
  ['campaign', keys.enrollment('cmp_1', 'lead-1').pk],
  ['sendRate', keys.sendRateWindow(1_700_000_000).pk],
  ['metricsWatermark', metricKeys.watermark().pk],
  ['dailyAggregates', metricKeys.dailyAggregate({ day: '2025-01-01', dimension: 'total', value: 'all' }).pk],
  ['dailyAggregates', metricKeys.dailyAggregate({ day: '2025-01-01', dimension: 'source', value: 'ads' }).pk],
];

describe('key patterns (the partitions grants name)', () => {
  it.each(examples)('%s is the one pattern that matches %s', (name, pk) => {
    const matching = Object.entries(patterns)
      .filter(([, pattern]) => stringLike(pattern).test(pk))
      .map(([matched]) => matched);
    expect(matching).toEqual([name]);
  });

  it('covers every key builder of the layout (a new kind of item needs an example here, and a pattern)', () => {
    const builders = Object.entries(keys)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name)
      .sort();
    expect(builders).toEqual(
      [
        'lead',
        'leadByStage',
        'stageShard',
        'history',
        'eventDay',
        'form',
        'formStats',
        'apiKey',
        'emailClaim',
        'workflow',
        'rulesVersion',
        'activeRules',
        'job',
        'aggregationLock',
        'ownerCounter',
        'health',
        'formRate',
        'clientRate',
        'idempotency',
        'leadByOwner',
        'apiKeyById',
        'submission',
        'idempotencyRef',
        'suppression',
        'audit',
        'lifecycleConfig',
        'lifecycleConfigChange',
        'campaign',
        'campaignStats',
        'emailTemplate',
        'emailEvent',
        'deliverabilityCounts',
        'enrollment',
        'sendRateWindow',
      ].sort(),
    );
    expect(Object.keys(metricKeys).sort()).toEqual(['dailyAggregate', 'dailyAggregateRange', 'eventDayShard', 'watermark']);
  });

  it('has no pattern that no key of the layout falls in', () => {
    expect(new Set(examples.map(([name]) => name))).toEqual(new Set(Object.keys(patterns)));
  });

  it('matches the index partitions each index is queried on', () => {
    expect(stringLike(indexKeyPatterns.byStage).test(keys.leadByStage('qualified', '', '').gsi1pk)).toBe(true);
    expect(stringLike(indexKeyPatterns.byStage).test(keys.stageShard('qualified', 15))).toBe(true);
    expect(stringLike(indexKeyPatterns.byDay).test(keys.eventDay('lead-1', '2025-01-01T00:00:00.000Z', 'entry-1').gsi2pk)).toBe(true);
    expect(stringLike(indexKeyPatterns.byDay).test(metricKeys.eventDayShard('2025-01-01', 7))).toBe(true);
    expect(stringLike(indexKeyPatterns.byOwner).test(keys.leadByOwner('Rep@Example.com', 'A', '', '').gsi3pk)).toBe(true);
  });
});
