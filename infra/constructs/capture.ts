import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';
import type { Storage } from './storage';

export interface CaptureProps {
  api: LeadflowHttpApi;
  storage: Storage;
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
    // Public: it reads the form, the rules and (for a known address) the lead and a replayed
    // answer; it writes only the lead and its idempotency record (Put, also inside its transaction),
    // and of a form only the spam counter. It can delete nothing and rewrite no form setting.
    props.storage.grant(this.captureLead.fn, [
      { actions: ['GetItem'], partitions: ['form', 'rules', 'lead', 'idempotency'] },
      { actions: ['PutItem'], partitions: ['lead', 'idempotency'] },
      { actions: ['UpdateItem'], partitions: ['form'], onlyAttributes: ['spamDropped'] },
    ]);
    const path = '/v1/forms/{formId}/submissions';
    props.api.route(HttpMethod.POST, path, this.captureLead.fn);
    props.api.route(HttpMethod.OPTIONS, path, this.captureLead.fn);
  }
}
