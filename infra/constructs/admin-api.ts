import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';
import type { Storage } from './storage';

export interface AdminApiProps {
  api: LeadflowHttpApi;
  storage: Storage;
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
      { actions: ['GetItem'], partitions: ['apiKey', 'form'] },
      { actions: ['PutItem'], partitions: ['form'] },
    ]);
    props.api.route(HttpMethod.PUT, '/v1/forms/{formId}', manageForms.fn);
    props.api.route(HttpMethod.GET, '/v1/forms/{formId}', manageForms.fn);

    const createApiKey = new LeadflowFunction(this, 'CreateApiKey', {
      entry: 'create-api-key',
      description: 'Issues scoped API keys (stored hashed)',
    });
    props.storage.grant(createApiKey.fn, [{ actions: ['GetItem', 'PutItem'], partitions: ['apiKey'] }]);
    props.api.route(HttpMethod.POST, '/v1/api-keys', createApiKey.fn);

    const health = new LeadflowFunction(this, 'Health', {
      entry: 'health',
      description: 'Liveness check',
      memorySize: 256,
    });
    props.api.route(HttpMethod.GET, '/health', health.fn);
  }
}
