import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { tableKeys } from '../../core/keys';

export type TableAccess = 'read' | 'readWrite';

const indexes = [tableKeys.byStage, tableKeys.byDay, tableKeys.byOwner];

const readActions = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const writeActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

export interface StorageProps {
  /** RETAIN for production data; DESTROY is for throwaway stages. */
  removalPolicy?: RemovalPolicy;
}

/**
 * The one DynamoDB table (single-table design, key layout in core/keys.ts): on demand,
 * point-in-time recovery, KMS encryption, TTL for expiring records.
 */
export class Storage extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
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
    });
    // One new index per deployment at most: CloudFormation creates a single GSI per table update.
    for (const index of indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
      });
    }
  }

  /**
   * Binds a function to the table with only the item actions it calls, on the table alone (no
   * index), and only on items whose partition key matches one of `partitionKeys` (`dynamodb:LeadingKeys`
   * patterns: `LEAD#*` for a kind of item, `METRICS` for one partition).
   */
  bindActions(fn: IFunction, actions: readonly string[], partitionKeys: readonly string[]): void {
    if (fn instanceof LambdaFunction) fn.addEnvironment('TABLE_NAME', this.table.tableName);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: [...actions],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...partitionKeys] } },
      }),
    );
  }

  /**
   * Binds a function to the table in one call: the TABLE_NAME variable and a grant of exactly the
   * item actions it needs, on the table and its named indexes (no wildcard actions or resources).
   */
  bind(fn: IFunction, access: TableAccess): void {
    if (fn instanceof LambdaFunction) fn.addEnvironment('TABLE_NAME', this.table.tableName);
    const actions = access === 'read' ? readActions : [...readActions, ...writeActions];
    fn.addToRolePolicy(
      new PolicyStatement({
        actions,
        resources: [this.table.tableArn, ...indexes.map((index) => `${this.table.tableArn}/index/${index.indexName}`)],
      }),
    );
  }
}
