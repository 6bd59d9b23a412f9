import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AdminApi } from './constructs/admin-api';
import { ApiDocs } from './constructs/api-docs';
import { Campaigns } from './constructs/campaigns';
import { Capture } from './constructs/capture';
import { Consent } from './constructs/consent';
import { lifecycleConfigSchema, type LifecycleConfig } from '../core/lifecycle';
import { Email } from './constructs/email';
import { EmailTemplates } from './constructs/email-templates';
import { EmailEvents } from './constructs/email-events';
import { LeadflowHttpApi } from './constructs/http-api';
import { Leads } from './constructs/leads';
import { Lifecycle } from './constructs/lifecycle';
import { Metrics } from './constructs/metrics';
import { Operations } from './constructs/operations';
import { Privacy } from './constructs/privacy';
import { Scoring } from './constructs/scoring';
import { Secrets } from './constructs/secrets';
import { Storage } from './constructs/storage';

export interface LeadflowStackProps extends StackProps {
  /** `destroy` only for throwaway stages; production data is retained. */
  removalPolicy?: RemovalPolicy;
  /** The verified SES sender. */
  senderEmail: string;
  /** Owners, manager, follow-up delays and playbooks (validated here, at synth). */
  lifecycle: unknown;
}

/** The whole platform: one stack assembled from one construct per capability. */
export class LeadflowStack extends Stack {
  constructor(scope: Construct, id: string, props: LeadflowStackProps) {
    super(scope, id, props);
    // Checked first: a bad context fails the synth before anything is bundled.
    const lifecycle: LifecycleConfig = lifecycleConfigSchema.parse(props.lifecycle);
    const storage = new Storage(this, 'Storage', { removalPolicy: props.removalPolicy });
    new CfnOutput(this, 'TableName', { value: storage.table.tableName });
    const secrets = new Secrets(this, 'Secrets', { removalPolicy: props.removalPolicy });
    const api = new LeadflowHttpApi(this, 'Http', { storage });
    new Capture(this, 'Capture', { api, storage, secrets });
    new Leads(this, 'Leads', { api, storage, secrets });
    new AdminApi(this, 'Admin', { api, storage, secrets });
    new ApiDocs(this, 'ApiDocs', { api });
    new Scoring(this, 'Scoring', { api, storage, lifecycle });
    const email = new Email(this, 'Email', { senderEmail: props.senderEmail });
    new EmailTemplates(this, 'EmailTemplates', { api, storage });
    const lifecycleConstruct = new Lifecycle(this, 'Lifecycle', { api, storage, email, secrets, config: lifecycle });
    const privacy = new Privacy(this, 'Privacy', { api, storage, lifecycle: lifecycleConstruct, removalPolicy: props.removalPolicy });
    const consent = new Consent(this, 'Consent', { api, storage, secrets, email, privacy });
    for (const sender of lifecycleConstruct.marketingSenders) consent.bindMarketingSender(sender);
    const campaigns = new Campaigns(this, 'Campaigns', { api, storage, email, privacy });
    for (const sender of campaigns.senders) consent.bindMarketingSender(sender);
    new EmailEvents(this, 'EmailEvents', { storage, email, privacy });
    new Metrics(this, 'Metrics', { api, storage });
    // Last: it puts alarms on every function, state machine, queue and API created above.
    new Operations(this, 'Operations');
  }
}
