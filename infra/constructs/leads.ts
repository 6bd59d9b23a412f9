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

/** The lead read routes (API key, `leads:read`): find or list leads, one lead, its audit trail. All only read. */
export class Leads extends Construct {
  constructor(scope: Construct, id: string, props: LeadsProps) {
    super(scope, id);
    const getLead = new LeadflowFunction(this, 'GetLead', {
      entry: 'get-lead',
      description: 'Reads one lead by id',
    });
    props.storage.grant(getLead.fn, [{ actions: ['GetItem'], partitions: ['lead'] }]);
    props.api.route(HttpMethod.GET, '/v1/leads/{leadId}', getLead.fn);

    const findLeads = new LeadflowFunction(this, 'FindLeads', {
      entry: 'find-leads',
      description: 'Finds the lead for an address, or lists leads by stage, owner and grade from the indexes',
    });
    // One lead by its keyed id, or pages of the stage and owner indexes.
    props.storage.grant(findLeads.fn, [
      { actions: ['GetItem'], partitions: ['lead'] },
      { queryIndex: 'byStage' },
      { queryIndex: 'byOwner' },
    ]);
    props.secrets.bind(findLeads.fn, 'leadIdKey');
    props.api.route(HttpMethod.GET, '/v1/leads', findLeads.fn);

    const getHistory = new LeadflowFunction(this, 'GetLeadHistory', {
      entry: 'get-lead-history',
      description: "Reads a lead's audit trail",
    });
    props.storage.grant(getHistory.fn, [
      { actions: ['GetItem'], partitions: ['lead'] },
      // The history entries live in the lead's partition.
      { actions: ['Query'], partitions: ['lead'] },
    ]);
    props.api.route(HttpMethod.GET, '/v1/leads/{leadId}/history', getHistory.fn);
  }
}
