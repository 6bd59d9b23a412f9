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
    // Public: it reads the form, the rules, a key sent with a keyed submission and, for a trusted
    // one, the lead and a replayed answer; it writes an accepted public submission, or (trusted) the
    // lead and its idempotency record, and of a form only the spam counter. It can delete nothing
    // and rewrite no form setting.
    props.storage.grant(this.captureLead.fn, [
      { actions: ['GetItem'], partitions: ['form', 'rules', 'apiKey', 'lead', 'idempotency', 'submission'] },
      { actions: ['PutItem'], partitions: ['lead', 'idempotency', 'submission'] },
      { actions: ['UpdateItem'], partitions: ['form'], onlyAttributes: ['spamDropped'] },
      // The per-form and per-client rate windows: a counter and its expiry, nothing else.
      { actions: ['UpdateItem'], partitions: ['rate'], onlyAttributes: ['count', 'expiresAt'] },
    ]);
    props.secrets.bind(this.captureLead.fn, 'leadIdKey');
    props.secrets.bind(this.captureLead.fn, 'formSecretsKey');
    const path = '/v1/forms/{formId}/submissions';
    // On the capture API, without gateway CORS: the function answers each form's own origins.
    props.api.captureRoute(HttpMethod.POST, path, this.captureLead.fn);
    props.api.captureRoute(HttpMethod.OPTIONS, path, this.captureLead.fn);
  }
}
