import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption, type WarmThroughput } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import * as z from 'zod';
import { indexKeyPatterns, keyPatterns, tableKeys } from '../../core/keys';
import { metricKeyPatterns } from '../../core/metrics/keys';

/**
 * The item actions a grant may hold. IAM has no action for a transaction: TransactWriteItems is
 * authorized item by item with the action each item performs (Put -> PutItem, Update ->
 * UpdateItem, Delete -> DeleteItem, ConditionCheck -> ConditionCheckItem), TransactGetItems with
 * GetItem, so a function that writes in transactions is granted those. Scan, BatchGetItem and
 * BatchWriteItem are deliberately absent: nothing in leadflow scans or batches, and a function
 * that ever must should have to add it here, in plain sight.
 */
export type ItemAction = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';

const indexes = [tableKeys.byStage, tableKeys.byDay, tableKeys.byOwner];

/** Every partition of the table by kind (core/keys.ts and core/metrics/keys.ts), as LeadingKeys patterns. */
const partitionPatterns = { ...keyPatterns, ...metricKeyPatterns };

/** A kind of partition of the table, named as in `keyPatterns` (core/keys.ts) or `metricKeyPatterns`. */
export type Partition = keyof typeof partitionPatterns;

export type IndexName = keyof typeof indexKeyPatterns;

/** Item actions on the table, on the partitions named (one policy statement). */
export interface ItemGrant {
  actions: readonly ItemAction[];
  /** Every item the actions touch (each item of a transaction included) must be in one of these. */
  partitions: readonly Partition[];
  /**
   * When set, requests may name only these top-level attributes besides the table keys: for a
   * counter kept in an item whose other attributes the function must not change.
   */
  onlyAttributes?: readonly string[];
}

/** Query one index, on its partitions (one policy statement): a query names the index's partition key, not the table's. */
export interface IndexQueryGrant {
  queryIndex: IndexName;
}

export type TableGrant = ItemGrant | IndexQueryGrant;

/**
 * For functions that store lead changes (functions/shared/lead-changes.ts): a lead left in
 * qualified without an owner takes the round-robin counter's next slot, read and then advanced in
 * the lead's transaction. The counter item, and only its own attribute.
 */
export const assignsOwners: ItemGrant = { actions: ['GetItem', 'UpdateItem'], partitions: ['ownerCounter'], onlyAttributes: ['assigned'] };

export interface StorageProps {
  /** RETAIN for production data; DESTROY is for throwaway stages. */
  removalPolicy?: RemovalPolicy;
}

/**
 * CDK context `tableWarmThroughput` (`{"readUnitsPerSecond", "writeUnitsPerSecond"}`): pre-warms
 * the table and each of its indexes for a known peak. A new on-demand table serves 4,000 write and
 * 12,000 read units a second at once and doubles its previous peak within 30 minutes; past that a
 * sudden burst is throttled (capture answers 503 with Retry-After) until it has scaled.
 */
const warmThroughputSchema = z.strictObject({
  readUnitsPerSecond: z.number().int().min(12_000).max(400_000).optional(),
  writeUnitsPerSecond: z.number().int().min(4_000).max(400_000).optional(),
});

function warmThroughputOf(scope: Construct): WarmThroughput | undefined {
  const raw: unknown = scope.node.tryGetContext('tableWarmThroughput');
  if (raw === undefined) return undefined;
  const parsed = warmThroughputSchema.safeParse(typeof raw === 'string' ? JSON.parse(raw) : raw);
  if (!parsed.success) {
    throw new Error(
      `context tableWarmThroughput is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * The one DynamoDB table (single-table design, key layout in core/keys.ts): on demand,
 * point-in-time recovery, KMS encryption, TTL for expiring records.
 */
export class Storage extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const warmThroughput = warmThroughputOf(this);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableKeys.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableKeys.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: tableKeys.ttlAttribute,
      // New leads start their lifecycle workflow from the stream (durable, retried).
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      warmThroughput,
    });
    // One new index per deployment at most: CloudFormation creates a single GSI per table update.
    for (const index of indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        // An index throttled by a burst throttles the table's writes too: it is warmed with the table.
        warmThroughput,
      });
    }
  }

  /**
   * Binds a function to the table in one call: the TABLE_NAME variable and one policy statement
   * per grant, each with exactly its `dynamodb:` actions, on the table (or the one index queried),
   * conditioned on `dynamodb:LeadingKeys` so that only the named partitions can be touched.
   */
  grant(fn: LambdaFunction, grants: readonly TableGrant[]): void {
    if (grants.length === 0) throw new Error(`${fn.node.path}: a table grant needs at least one statement`);
    fn.addEnvironment('TABLE_NAME', this.table.tableName);
    for (const grant of grants) fn.addToRolePolicy('queryIndex' in grant ? this.indexStatement(grant) : this.itemStatement(fn, grant));
  }

  private itemStatement(fn: LambdaFunction, grant: ItemGrant): PolicyStatement {
    if (grant.actions.length === 0 || grant.partitions.length === 0) {
      throw new Error(`${fn.node.path}: a table grant names at least one action and one partition`);
    }
    const attributes = grant.onlyAttributes && {
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [tableKeys.partitionKey, tableKeys.sortKey, ...grant.onlyAttributes] },
    };
    return new PolicyStatement({
      actions: unique(grant.actions).map((action) => `dynamodb:${action}`),
      resources: [this.table.tableArn],
      conditions: { ...leadingKeys(unique(grant.partitions).map((partition) => partitionPatterns[partition])), ...attributes },
    });
  }

  private indexStatement(grant: IndexQueryGrant): PolicyStatement {
    return new PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: [`${this.table.tableArn}/index/${grant.queryIndex}`],
      conditions: leadingKeys([indexKeyPatterns[grant.queryIndex]]),
    });
  }
}

/**
 * Every item key of a request must match a pattern. ForAllValues alone is also true for a request
 * with no leading keys at all (a Scan); the Null check refuses those.
 */
function leadingKeys(patterns: string[]): Record<string, Record<string, unknown>> {
  return {
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns },
    Null: { 'dynamodb:LeadingKeys': 'false' },
  };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
