import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { keys } from '../../core/keys';
import type { LifecycleConfig } from '../../core/lifecycle';
import { documents, tableEnv } from './table';

/**
 * The edited lifecycle configuration's item. `config` is the document as stored, checked by the
 * reader (a bad one must not take the workflows down); it is absent after a DELETE, which keeps
 * the item so that versions only ever grow (an `If-Match` can never match a later edit by chance).
 */
const storedSchema = z.object({
  version: z.number().int().min(1),
  config: z.unknown().optional(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type StoredLifecycleConfig = z.infer<typeof storedSchema>;

/** The stored item, or undefined before the first edit. A malformed item (edited by hand) is a ZodError. */
export async function readStoredLifecycleConfig(options: { consistent?: boolean } = {}): Promise<StoredLifecycleConfig | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.lifecycleConfig(), ConsistentRead: options.consistent }),
  );
  return Item ? storedSchema.parse(Item) : undefined;
}

export interface LifecycleConfigEdit {
  /** The version the editor read (0: nothing was ever stored). */
  expectedVersion: number;
  /** The new document; undefined to go back to the deployed one. */
  config?: LifecycleConfig;
  by: string;
  at: string;
}

/**
 * Stores an edit if the item is still at the version the editor read, together with its change
 * record (who, when, what), in one transaction. Returns the new item, or undefined when someone
 * else's edit came first (nothing is written).
 */
export async function writeLifecycleConfig(edit: LifecycleConfigEdit): Promise<StoredLifecycleConfig | undefined> {
  const version = edit.expectedVersion + 1;
  const stored: StoredLifecycleConfig = { version, config: edit.config, updatedAt: edit.at, updatedBy: edit.by };
  const table = tableEnv.TABLE_NAME;
  try {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: { ...keys.lifecycleConfig(), ...stored },
              ...(edit.expectedVersion === 0
                ? { ConditionExpression: 'attribute_not_exists(pk)' }
                : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': edit.expectedVersion } }),
            },
          },
          {
            Put: {
              TableName: table,
              Item: {
                ...keys.lifecycleConfigChange(version),
                version,
                action: edit.config ? 'put' : 'delete',
                config: edit.config,
                at: edit.at,
                by: edit.by,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (
      error instanceof TransactionCanceledException &&
      error.CancellationReasons?.some((reason) => reason.Code === 'ConditionalCheckFailed')
    ) {
      return undefined;
    }
    throw error;
  }
  return stored;
}
