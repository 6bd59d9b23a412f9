import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';
import type { Storage } from './storage';

export interface LeadsProps {
  api: LeadflowHttpApi;
  storage: Storage;
}

/** The lead read routes (API key, `leads:read`): one lead, and its audit trail. Both only read. */
export class Leads extends Construct {
  constructor(scope: Construct, id: string, props: LeadsProps) {
    super(scope, id);
    const getLead = new LeadflowFunction(this, 'GetLead', {
      entry: 'get-lead',
      description: 'Reads one lead by id',
    });
    // The API key, then the lead.
    props.storage.grant(getLead.fn, [{ actions: ['GetItem'], partitions: ['apiKey', 'lead'] }]);
    props.api.route(HttpMethod.GET, '/v1/leads/{leadId}', getLead.fn);

    const getHistory = new LeadflowFunction(this, 'GetLeadHistory', {
      entry: 'get-lead-history',
      description: "Reads a lead's audit trail",
    });
    props.storage.grant(getHistory.fn, [
      { actions: ['GetItem'], partitions: ['apiKey', 'lead'] },
      // The history entries live in the lead's partition.
      { actions: ['Query'], partitions: ['lead'] },
    ]);
    props.api.route(HttpMethod.GET, '/v1/leads/{leadId}/history', getHistory.fn);
  }
}
