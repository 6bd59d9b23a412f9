import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  GUARD_LOOKBACK_HOURS,
  guardCounterOf,
  guardHour,
  guardHoursBack,
  guardShard,
  guardWindow,
  sumGuardShards,
  type GuardCounts,
  type GuardSettings,
} from '../../core/deliverability-guard';
import type { EmailEventEffects } from '../../core/email-event-effects';
import { keys } from '../../core/keys';
import type { Lead } from '../../core/lead';
import { campaignCounterOf, type EmailEvent } from '../../core/ses-events';
import { campaignCounterUpdate } from './campaign-stats';
import { MAX_CONFLICT_ATTEMPTS, backOffAfterConflict } from './conflicts';
import type { TransactItem } from './email-claims';
import { getLead, historyItem, leadItem } from './leads-repository';
import { documents, tableEnv } from './table';

/**
 * SES retries an event destination for a while and EventBridge retries its targets for up to a day:
 * a marker older than this can no longer meet a redelivery of its event.
 */
const MARKER_DAYS = 30;
/** The guard's counts are read back a week at most; kept a day longer, then TTL removes them. */
const GUARD_COUNTS_DAYS = GUARD_LOOKBACK_HOURS / 24 + 1;

export type ApplyOutcome = 'applied' | 'already_applied' | 'no_lead';

/**
 * Applies an SES event to its lead exactly once: the marker of (message, kind), the lead's change,
 * its history entries, the campaign counter and the guard's count go in one transaction on
 * condition that the marker is absent, so a redelivered event finds it and changes nothing. The
 * lead is read, changed by `effects` and written on condition of the version read (a concurrent
 * change makes it read and try again); an event that leaves the lead as it is still requires it to
 * exist, so nothing is written for an erased lead.
 */
export async function applyEmailEvent(
  event: EmailEvent & { leadId: string },
  effects: (lead: Lead) => EmailEventEffects,
  now: Date,
): Promise<ApplyOutcome> {
  for (let attempt = 1; ; attempt++) {
    const lead = await getLead(event.leadId, true);
    if (!lead) return 'no_lead';
    const change = effects(lead);
    try {
      await documents.send(new TransactWriteCommand({ TransactItems: transactionItems(event, lead, change, now) }));
      return 'applied';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [marker, leadCheck] = (error.CancellationReasons ?? []).map((reason) => reason.Code);
      if (marker === 'ConditionalCheckFailed') return 'already_applied';
      const retryable = leadCheck === 'ConditionalCheckFailed' || error.CancellationReasons?.some((r) => r.Code === 'TransactionConflict');
      if (!retryable || attempt >= MAX_CONFLICT_ATTEMPTS) throw error;
      await backOffAfterConflict(attempt);
    }
  }
}

function transactionItems(event: EmailEvent & { leadId: string }, lead: Lead, change: EmailEventEffects, now: Date): TransactItem[] {
  const TableName = tableEnv.TABLE_NAME;
  const expiresAt = (days: number) => Math.floor(now.getTime() / 1000) + days * 86_400;
  const marker: TransactItem = {
    Put: {
      TableName,
      Item: {
        ...keys.emailEvent(event.leadId, event.messageId, event.kind),
        messageId: event.messageId,
        appliedAt: now.toISOString(),
        expiresAt: expiresAt(MARKER_DAYS),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
  const leadWrite: TransactItem = change.lead
    ? {
        Put: {
          TableName,
          Item: leadItem(change.lead),
          ConditionExpression: 'version = :previous',
          ExpressionAttributeValues: { ':previous': lead.version },
        },
      }
    : { ConditionCheck: { TableName, Key: keys.lead(lead.leadId), ConditionExpression: 'attribute_exists(pk)' } };
  const items: TransactItem[] = [marker, leadWrite, ...change.entries.map((entry) => ({ Put: { TableName, Item: historyItem(entry) } }))];
  const campaignCounter = campaignCounterOf(event.kind);
  if (event.campaignId && campaignCounter && !event.toTeam)
    items.push(campaignCounterUpdate(event.campaignId, campaignCounter, event.leadId));
  const guardCounter = guardCounterOf(event);
  if (guardCounter) {
    items.push({
      Update: {
        TableName,
        Key: keys.deliverabilityCounts(guardHour(event.sentAt), guardShard(event.messageId)),
        UpdateExpression: 'SET expiresAt = :expiresAt ADD #counter :one',
        ExpressionAttributeNames: { '#counter': guardCounter },
        ExpressionAttributeValues: { ':one': 1, ':expiresAt': expiresAt(GUARD_COUNTS_DAYS) },
      },
    });
  }
  return items;
}

/** Hours read at once while the window fills: a day's worth of single-partition queries. */
const HOURS_PER_READ = 24;

/** The guard's window now: the hourly counts read back from the current hour until it holds the window's sends. */
export async function readGuardWindow(settings: GuardSettings, now: Date): Promise<GuardCounts> {
  const hours = guardHoursBack(now);
  const read: GuardCounts[] = [];
  for (let start = 0; start < hours.length; start += HOURS_PER_READ) {
    read.push(...(await Promise.all(hours.slice(start, start + HOURS_PER_READ).map(readHour))));
    if (guardWindow(read, settings).sent >= settings.windowSends) break;
  }
  return guardWindow(read, settings);
}

async function readHour(hour: string): Promise<GuardCounts> {
  const { Items } = await documents.send(
    new QueryCommand({
      TableName: tableEnv.TABLE_NAME,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.deliverabilityCounts(hour, 0).pk },
    }),
  );
  return sumGuardShards(Items ?? []);
}
