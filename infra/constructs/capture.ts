import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';
import type { Secrets } from './secrets';
import type { Storage } from './storage';

export interface CaptureProps {
  api: LeadflowHttpApi;
  storage: Storage;
  secrets: Secrets;
}

/** Lead capture: the public form-submission webhook (and its CORS preflight). */
export class Capture extends Construct {
  readonly captureLead: LeadflowFunction;

  constructor(scope: Construct, id: string, props: CaptureProps) {
    super(scope, id);
    this.captureLead = new LeadflowFunction(this, 'CaptureLead', {
      entry: 'capture-lead',
      description: 'Captures landing-page form submissions as leads',
      // The multipart parser is loaded on the first multipart body only: it ships beside the bundle.
      shippedPackages: ['@fastify/busboy'],
    });
    props.storage.bind(this.captureLead.fn, 'readWrite');
    props.secrets.bind(this.captureLead.fn, 'leadIdKey');
    props.secrets.bind(this.captureLead.fn, 'formSecretsKey');
    const path = '/v1/forms/{formId}/submissions';
    props.api.route(HttpMethod.POST, path, this.captureLead.fn);
    props.api.route(HttpMethod.OPTIONS, path, this.captureLead.fn);
  }
}
