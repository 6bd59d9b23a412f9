import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';
import type { Secrets } from './secrets';
import type { Storage } from './storage';

export interface LeadsProps {
  api: LeadflowHttpApi;
  storage: Storage;
  secrets: Secrets;
}

/** The lead read routes (API key, `leads:read`): one lead, and its audit trail. Both only read. */
export class Leads extends Construct {
  constructor(scope: Construct, id: string, props: LeadsProps) {
    super(scope, id);
    const getLead = new LeadflowFunction(this, 'GetLead', {
      entry: 'get-lead',
      description: 'Reads one lead by id',
    });
    props.storage.bind(getLead.fn, 'read');
    props.api.route(HttpMethod.GET, '/v1/leads/{leadId}', getLead.fn);

    const getHistory = new LeadflowFunction(this, 'GetLeadHistory', {
      entry: 'get-lead-history',
      description: "Reads a lead's audit trail",
    });
    props.storage.bind(getHistory.fn, 'read');
    props.api.route(HttpMethod.GET, '/v1/leads/{leadId}/history', getHistory.fn);
  }
}
