import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { randomBytes } from 'node:crypto';
import { durationSeconds } from '../../core/duration';
import type { CampaignCounter } from '../../core/campaign-stats';
import type { CampaignDefinition, NewCampaign } from '../../core/campaign';
import { ConflictError, NotFoundError } from '../../core/errors';
import { keys } from '../../core/keys';
import type { CampaignStatus } from './campaign-control';
import { campaignCounterUpdate } from './campaign-stats';
import { documents, queryAll, tableEnv } from './table';

/** A campaign as stored at keys.campaign(id): its definition and where it stands. */
export type StoredCampaign = CampaignDefinition & {
  status: CampaignStatus;
  createdAt: string;
  updatedAt: string;
  launchedAt?: string;
  pausedReason?: string;
};

export function newCampaignId(): string {
  return `cmp_${randomBytes(12).toString('base64url')}`;
}

export async function createCampaign(campaign: NewCampaign, now: Date): Promise<StoredCampaign> {
  const at = now.toISOString();
  const stored: StoredCampaign = { ...campaign, campaignId: newCampaignId(), status: 'draft', createdAt: at, updatedAt: at };
  await documents.send(
    new PutCommand({
      TableName: tableEnv.TABLE_NAME,
      Item: { ...keys.campaign(stored.campaignId), ...stored },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return stored;
}

export async function getCampaign(campaignId: string, consistent = true): Promise<StoredCampaign | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.campaign(campaignId), ConsistentRead: consistent }),
  );
  return Item ? withoutKeys(Item) : undefined;
}

export async function requireCampaign(campaignId: string): Promise<StoredCampaign> {
  const campaign = await getCampaign(campaignId);
  if (!campaign) throw new NotFoundError(`there is no campaign ${campaignId}`);
  return campaign;
}

/** Every campaign (one partition: a team has tens of them). */
export async function listCampaigns(): Promise<StoredCampaign[]> {
  const items = await queryAll({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.campaignsPartition } });
  return items.map(withoutKeys);
}

export class CampaignStatusError extends ConflictError {
  constructor(
    readonly campaignId: string,
    readonly from: string,
    readonly to: CampaignStatus,
  ) {
    super('campaign_status', `a ${from} campaign cannot become ${to}`);
    this.name = 'CampaignStatusError';
  }
}

/**
 * Moves a campaign to `to` from one of `from` (a launch: draft, active or paused to active; a
 * pause: active to paused...). Moving to where it already is succeeds (a retried request).
 */
export async function setCampaignStatus(
  campaignId: string,
  to: CampaignStatus,
  from: readonly CampaignStatus[],
  now: Date,
  extra: Record<string, string> = {},
): Promise<StoredCampaign> {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':to': to, ':now': now.toISOString() };
  from.forEach((status, index) => (values[`:from${index}`] = status));
  let update = 'SET #status = :to, updatedAt = :now';
  Object.entries(extra).forEach(([name, value], index) => {
    names[`#x${index}`] = name;
    values[`:x${index}`] = value;
    update += `, #x${index} = :x${index}`;
  });
  if (to !== 'paused') update += ' REMOVE pausedReason';
  try {
    const { Attributes } = await documents.send(
      new UpdateCommand({
        TableName: tableEnv.TABLE_NAME,
        Key: keys.campaign(campaignId),
        UpdateExpression: update,
        ConditionExpression: `attribute_exists(pk) AND #status IN (${[...from, to].map((_, index) => (index < from.length ? `:from${index}` : ':to')).join(', ')})`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return withoutKeys(Attributes ?? {});
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    if (!error.Item) throw new NotFoundError(`there is no campaign ${campaignId}`);
    throw new CampaignStatusError(campaignId, String(unmarshall(error.Item).status), to);
  }
}

/** What an enrollment attempt did: a new entry (its number), or nothing new (already in, and started). */
export type Enrollment = { enrolled: true; entry: number; enteredAt: string } | { enrolled: false; entry?: number; enteredAt?: string };

/**
 * Enrolls a lead into a campaign: its enrollment item and the campaign's `targeted` counter in one
 * transaction, written only when the lead never entered, or (a campaign with `reEntryAfter`) its
 * last entry is older than that. An enrollment whose sequence did not start yet (the start failed
 * after the write) is answered as enrolled again, so a retry starts it (the start is idempotent by name).
 */
export async function enrollLead(
  campaign: Pick<NewCampaign, 'reEntryAfter'> & { campaignId: string },
  leadId: string,
  now: Date,
): Promise<Enrollment> {
  const at = now.toISOString();
  const key = keys.enrollment(campaign.campaignId, leadId);
  const values: Record<string, unknown> = { ':now': at, ':one': 1, ':campaignId': campaign.campaignId, ':leadId': leadId };
  let condition = 'attribute_not_exists(pk)';
  if (campaign.reEntryAfter) {
    values[':cutoff'] = new Date(now.getTime() - durationSeconds(campaign.reEntryAfter) * 1000).toISOString();
    condition += ' OR (enteredAt <= :cutoff AND started = :true)';
    values[':true'] = true;
  }
  try {
    const { Attributes } = await documents.send(
      new UpdateCommand({
        TableName: tableEnv.TABLE_NAME,
        Key: key,
        // A re-entry replaces the previous entry's step outcomes: they belong to that entry.
        UpdateExpression:
          'SET enteredAt = :now, campaignId = :campaignId, leadId = :leadId, started = :false, steps = :none ADD entry :one',
        ConditionExpression: condition,
        ExpressionAttributeValues: { ...values, ':false': false, ':none': {} },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ReturnValues: 'ALL_NEW',
      }),
    );
    // The counter's own write: were it in the transaction above, a counter would need the
    // enrollment's condition too; instead it is written by the transaction below, once per entry.
    const entry = Number(Attributes?.entry ?? 1);
    await countOnce(campaign.campaignId, leadId, entry, 'entered', 'targeted');
    return { enrolled: true, entry, enteredAt: at };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const old = error.Item ? unmarshall(error.Item) : undefined;
    if (old && old.started !== true) {
      const entry = Number(old.entry ?? 1);
      await countOnce(campaign.campaignId, leadId, entry, 'entered', 'targeted');
      return { enrolled: true, entry, enteredAt: String(old.enteredAt) };
    }
    return { enrolled: false, entry: old ? Number(old.entry) : undefined, enteredAt: old ? String(old.enteredAt) : undefined };
  }
}

/** Records that the entry's sequence started (a later enrollment attempt then leaves it alone). */
export async function markSequenceStarted(campaignId: string, leadId: string, entry: number): Promise<void> {
  await documents
    .send(
      new UpdateCommand({
        TableName: tableEnv.TABLE_NAME,
        Key: keys.enrollment(campaignId, leadId),
        UpdateExpression: 'SET started = :true',
        ConditionExpression: 'entry = :entry',
        ExpressionAttributeValues: { ':true': true, ':entry': entry },
      }),
    )
    .catch((error: unknown) => {
      // A re-entry replaced it meanwhile: that entry marks itself.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
}

export async function getEnrollment(campaignId: string, leadId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.enrollment(campaignId, leadId), ConsistentRead: true }),
  );
  return Item;
}

/**
 * Records what became of one step of an entry (`steps.<mark>`) with a campaign counter in one
 * transaction, only the first time: a retried step counts nothing again. False when it was recorded already.
 */
export async function countOnce(
  campaignId: string,
  leadId: string,
  entry: number,
  mark: string,
  counter: CampaignCounter,
): Promise<boolean> {
  try {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableEnv.TABLE_NAME,
              Key: keys.enrollment(campaignId, leadId),
              UpdateExpression: 'SET steps.#mark = :counter',
              ConditionExpression: 'entry = :entry AND attribute_not_exists(steps.#mark)',
              ExpressionAttributeNames: { '#mark': mark },
              ExpressionAttributeValues: { ':counter': counter, ':entry': entry },
            },
          },
          campaignCounterUpdate(campaignId, counter, leadId),
        ],
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

function withoutKeys(item: Record<string, unknown>): StoredCampaign {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as StoredCampaign;
}
