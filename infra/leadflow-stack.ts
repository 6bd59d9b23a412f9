import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AdminApi } from './constructs/admin-api';
import { Capture } from './constructs/capture';
import { LeadflowHttpApi } from './constructs/http-api';
import { Storage } from './constructs/storage';

export interface LeadflowStackProps extends StackProps {
  /** `destroy` only for throwaway stages; production data is retained. */
  removalPolicy?: RemovalPolicy;
}

/** The whole platform: one stack assembled from one construct per capability. */
export class LeadflowStack extends Stack {
  constructor(scope: Construct, id: string, props: LeadflowStackProps = {}) {
    super(scope, id, props);
    const storage = new Storage(this, 'Storage', { removalPolicy: props.removalPolicy });
    new CfnOutput(this, 'TableName', { value: storage.table.tableName });
    const api = new LeadflowHttpApi(this, 'Http');
    new Capture(this, 'Capture', { api, storage });
    new AdminApi(this, 'Admin', { api, storage });
  }
}
