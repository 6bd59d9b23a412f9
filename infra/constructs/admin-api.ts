import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';
import type { Secrets } from './secrets';
import type { Storage } from './storage';

export interface AdminApiProps {
  api: LeadflowHttpApi;
  storage: Storage;
  secrets: Secrets;
}

/** The API-key routes for managing forms and API keys, plus the public health check. */
export class AdminApi extends Construct {
  constructor(scope: Construct, id: string, props: AdminApiProps) {
    super(scope, id);
    const manageForms = new LeadflowFunction(this, 'ManageForms', {
      entry: 'manage-forms',
      description: 'Creates, updates and reads landing-page form configurations',
    });
    // Reads the key, a form and its counters; writes a form (a whole-item Put).
    props.storage.grant(manageForms.fn, [
      { actions: ['GetItem'], partitions: ['form'] },
      { actions: ['PutItem'], partitions: ['form'] },
    ]);
    props.secrets.bind(manageForms.fn, 'formSecretsKey');
    props.api.route(HttpMethod.PUT, '/v1/forms/{formId}', manageForms.fn);
    props.api.route(HttpMethod.GET, '/v1/forms/{formId}', manageForms.fn);

    const manageApiKeys = new LeadflowFunction(this, 'ManageApiKeys', {
      entry: 'manage-api-keys',
      description: 'Issues, lists, revokes and rotates scoped API keys (stored hashed)',
    });
    // Issues, lists, revokes and rotates keys: each key is two items (under its hash and under its id).
    props.storage.grant(manageApiKeys.fn, [
      { actions: ['GetItem', 'PutItem', 'UpdateItem'], partitions: ['apiKey', 'apiKeyIndex'] },
      { actions: ['Query'], partitions: ['apiKeyIndex'] },
    ]);
    props.api.route(HttpMethod.POST, '/v1/api-keys', manageApiKeys.fn);
    props.api.route(HttpMethod.GET, '/v1/api-keys', manageApiKeys.fn);
    props.api.route(HttpMethod.DELETE, '/v1/api-keys/{keyId}', manageApiKeys.fn);
    props.api.route(HttpMethod.POST, '/v1/api-keys/{keyId}/rotate', manageApiKeys.fn);

    const health = new LeadflowFunction(this, 'Health', {
      entry: 'health',
      description: 'Health: probes the table and SES, answers 503 while one is down',
      memorySize: 256,
    });
    // One GetItem of the probe item (which nothing writes) and SES's account status.
    props.storage.grant(health.fn, [{ actions: ['GetItem'], partitions: ['health'] }]);
    health.fn.addToRolePolicy(new PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
    Validations.of(health).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ses:GetAccount reads the account sending status and has no resource-level permissions; it reads nothing else.',
    });
    props.api.route(HttpMethod.GET, '/health', health.fn);
  }
}
