import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';
import type { Lifecycle } from './lifecycle';
import type { Storage } from './storage';

/** functions/shared/suppression-list.ts SUPPRESSION_SALT_ENV */
const SUPPRESSION_SALT_ENV = 'SUPPRESSION_SALT_SECRET_ARN';

/** Item partitions (core/keys.ts, core/metrics/keys.ts) the privacy functions work in, as LeadingKeys patterns. */

export interface PrivacyProps {
  api: LeadflowHttpApi;
  storage: Storage;
  lifecycle: Lifecycle;
  /** RETAIN by default: a lost salt would take every erased address off the suppression list. */
  removalPolicy?: RemovalPolicy;
}

/**
 * A person's data (GDPR): the export and erasure routes, the suppression list's salt, and the
 * suppression check bound to every function that sends email. Each function gets only the
 * actions it calls, on the item partitions it works in.
 */
export class Privacy extends Construct {
  readonly suppressionSalt: Secret;

  constructor(scope: Construct, id: string, props: PrivacyProps) {
    super(scope, id);
    this.suppressionSalt = new Secret(this, 'SuppressionSalt', {
      description: 'Key of the HMAC that keeps erased addresses on the suppression list',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.suppressionSalt).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The suppression list holds HMACs of erased addresses under this key and the addresses are gone: a rotated key could never re-key the list, so it is never rotated.',
    });

    const exportLead = new LeadflowFunction(this, 'ExportLead', {
      entry: 'export-lead',
      description: 'Exports everything held about a lead as one JSON document (audited)',
    });
    // Reads the lead's partition and whether its address is suppressed; writes only its audit record.
    props.storage.grant(exportLead.fn, [
      { actions: ['GetItem', 'Query'], partitions: ['lead'] },
      { actions: ['GetItem'], partitions: ['suppression'] },
      { actions: ['PutItem'], partitions: ['audit'] },
    ]);
    this.bindSuppressionList(exportLead.fn);
    props.api.route(HttpMethod.GET, '/v1/leads/{leadId}/export', exportLead.fn);

    const eraseLead = new LeadflowFunction(this, 'EraseLead', {
      entry: 'erase-lead',
      description: 'Erases a lead: workflow stopped, data deleted or anonymized, address suppressed (audited)',
      environment: { STATE_MACHINE_ARN: props.lifecycle.stateMachine.stateMachineArn },
    });
    // Deletes or rewrites the lead's partition and its idempotency records (transactions are
    // authorized per item action: no Batch*), adds the suppression and audit records, reads the
    // aggregator's watermark (which history entries are counted already).
    props.storage.grant(eraseLead.fn, [
      { actions: ['GetItem', 'Query', 'PutItem', 'DeleteItem'], partitions: ['lead'] },
      { actions: ['DeleteItem'], partitions: ['idempotency'] },
      { actions: ['PutItem'], partitions: ['suppression', 'audit'] },
      { actions: ['GetItem'], partitions: ['metricsWatermark'] },
    ]);
    this.bindSuppressionList(eraseLead.fn);
    props.lifecycle.grantOnExecutions(eraseLead.fn, ['states:DescribeExecution', 'states:StopExecution']);
    props.api.route(HttpMethod.DELETE, '/v1/leads/{leadId}', eraseLead.fn);

    for (const sender of props.lifecycle.senders) {
      // Every send first checks the address against the list.
      this.bindSuppressionList(sender);
      props.storage.grant(sender, [{ actions: ['GetItem'], partitions: ['suppression'] }]);
    }
  }

  /** Lets a function read the suppression list's salt: the variable naming it and GetSecretValue on it alone. */
  bindSuppressionList(fn: LambdaFunction): void {
    fn.addEnvironment(SUPPRESSION_SALT_ENV, this.suppressionSalt.secretArn);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.suppressionSalt.secretArn] }));
  }
}
