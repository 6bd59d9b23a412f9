import { describe, expect, it } from 'vitest';
import { matchesAnyPattern, parseFilterPatterns } from '../../local/event-pattern';
import { firstFailure, type DynamoDbStreamRecord } from '../../local/streams';

const insertLead = {
  eventName: 'INSERT',
  dynamodb: {
    Keys: { pk: { S: 'LEAD#42' }, sk: { S: 'LEAD' } },
    NewImage: { pk: { S: 'LEAD#42' }, sk: { S: 'LEAD' }, source: { S: 'landing-page' }, tags: { SS: ['vip', 'eu'] } },
  },
};

const matches = (pattern: object, event: object = insertLead) => matchesAnyPattern(parseFilterPatterns([JSON.stringify(pattern)]), event);

describe('event filter patterns', () => {
  it('matches exact values in nested objects', () => {
    expect(matches({ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: ['LEAD'] } } } })).toBe(true);
    expect(matches({ eventName: ['MODIFY', 'REMOVE'] })).toBe(false);
    expect(matches({ dynamodb: { Keys: { sk: { S: ['EVENT'] } } } })).toBe(false);
  });

  it('supports prefix, suffix, equals-ignore-case and anything-but', () => {
    expect(matches({ dynamodb: { Keys: { pk: { S: [{ prefix: 'LEAD#' }] } } } })).toBe(true);
    expect(matches({ dynamodb: { NewImage: { source: { S: [{ suffix: '-page' }] } } } })).toBe(true);
    expect(matches({ eventName: [{ 'equals-ignore-case': 'insert' }] })).toBe(true);
    expect(matches({ eventName: [{ 'anything-but': ['REMOVE'] }] })).toBe(true);
    expect(matches({ eventName: [{ 'anything-but': 'INSERT' }] })).toBe(false);
    expect(matches({ dynamodb: { Keys: { pk: { S: [{ 'anything-but': { prefix: 'LEAD#' } }] } } } })).toBe(false);
  });

  it('supports exists, including on absent parents', () => {
    expect(matches({ dynamodb: { OldImage: [{ exists: false }] } })).toBe(true);
    expect(matches({ dynamodb: { NewImage: [{ exists: true }] } })).toBe(true);
    expect(matches({ dynamodb: { OldImage: { source: { S: [{ exists: false }] } } } })).toBe(true);
    expect(matches({ dynamodb: { OldImage: { source: { S: [{ exists: true }] } } } })).toBe(false);
  });

  it('matches an array in the event when any element matches', () => {
    expect(matches({ dynamodb: { NewImage: { tags: { SS: ['eu'] } } } })).toBe(true);
    expect(matches({ dynamodb: { NewImage: { tags: { SS: ['us'] } } } })).toBe(false);
  });

  it('supports numeric ranges on numbers', () => {
    expect(matches({ size: [{ numeric: ['>', 10, '<=', 20] }] }, { size: 15 })).toBe(true);
    expect(matches({ size: [{ numeric: ['>', 10, '<=', 20] }] }, { size: 25 })).toBe(false);
  });

  it('passes everything without patterns and a record matching any of several', () => {
    expect(matchesAnyPattern([], insertLead)).toBe(true);
    const patterns = parseFilterPatterns([JSON.stringify({ eventName: ['REMOVE'] }), JSON.stringify({ eventName: ['INSERT'] })]);
    expect(matchesAnyPattern(patterns, insertLead)).toBe(true);
  });

  it('rejects matchers it cannot evaluate', () => {
    expect(() => parseFilterPatterns([JSON.stringify({ eventName: [{ wildcard: 'IN*' }] })])).toThrow(/unsupported filter matcher/);
    expect(() => parseFilterPatterns(['["INSERT"]'])).toThrow(/must be a JSON object/);
  });
});

describe('firstFailure (ReportBatchItemFailures)', () => {
  const records = ['1', '2', '3'].map((SequenceNumber) => ({ dynamodb: { SequenceNumber } }) as DynamoDbStreamRecord);

  it('treats an empty or missing answer as success', () => {
    expect(firstFailure(undefined, records)).toBe(-1);
    expect(firstFailure(null, records)).toBe(-1);
    expect(firstFailure({ batchItemFailures: [] }, records)).toBe(-1);
  });

  it('retries from the failed record with the lowest sequence number', () => {
    expect(firstFailure({ batchItemFailures: [{ itemIdentifier: '3' }, { itemIdentifier: '2' }] }, records)).toBe(1);
  });

  it('fails the whole batch when a failure names no record of it', () => {
    expect(firstFailure({ batchItemFailures: [{ itemIdentifier: 'other' }] }, records)).toBe(0);
    expect(firstFailure({ batchItemFailures: [{}] }, records)).toBe(0);
  });
});
