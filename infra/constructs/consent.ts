import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { FilterCriteria, FilterRule, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import * as z from 'zod';
import { emailClaimAttributes } from '../../core/email-claim';
import { LeadflowFunction } from './api-function';
import type { Email } from './email';
import type { LeadflowHttpApi } from './http-api';
import type { Privacy } from './privacy';
import type { Secrets } from './secrets';
import type { Storage } from './storage';
import { consumeTableStream } from './stream-consumer';

export interface ConsentProps {
  api: LeadflowHttpApi;
  storage: Storage;
  secrets: Secrets;
  email: Email;
  privacy: Privacy;
}

/** CDK context `unsubscribeMailto`: an address for the `mailto:` of List-Unsubscribe (RFC 2369), beside the https URL. */
const mailtoSchema = z.email({ error: 'context unsubscribeMailto must be an email address (such as unsubscribe@example.com)' });

/**
 * Consent to marketing email: the public link routes (one-click unsubscribe, RFC 8058, and the
 * double opt-in confirmation), the stream consumer that sends opt-in confirmations and lifts an
 * unsubscribe when consent is given again, and `bindMarketingSender` for every function that
 * sends marketing email (functions/shared/marketing-email.ts).
 */
export class Consent extends Construct {
  readonly links: LeadflowFunction;
  private readonly props: ConsentProps;
  private readonly mailto?: string;

  constructor(scope: Construct, id: string, props: ConsentProps) {
    super(scope, id);
    this.props = props;
    const mailto: unknown = this.node.tryGetContext('unsubscribeMailto');
    if (mailto !== undefined) this.mailto = mailtoSchema.parse(mailto);

    this.links = new LeadflowFunction(this, 'ConsentLinks', {
      entry: 'consent-links',
      description: 'The links in emails: one-click unsubscribe (RFC 8058) and the double opt-in confirmation',
    });
    // The lead and its history entry (one transaction, with a campaign's unsubscribe counter), and the suppression entry.
    props.storage.grant(this.links.fn, [
      { actions: ['GetItem', 'PutItem'], partitions: ['lead'] },
      { actions: ['UpdateItem'], partitions: ['campaign'], onlyAttributes: ['unsubscribed'] },
      { actions: ['PutItem'], partitions: ['suppression'] },
    ]);
    props.secrets.bind(this.links.fn, 'linkSigningKey');
    props.privacy.bindSuppressionList(this.links.fn);
    for (const path of ['/v1/unsubscribe', '/v1/consent/confirm']) {
      props.api.route(HttpMethod.GET, path, this.links.fn);
      props.api.route(HttpMethod.POST, path, this.links.fn);
    }

    const follow = new LeadflowFunction(this, 'FollowConsentChanges', {
      entry: 'follow-consent-changes',
      description: 'Sends double opt-in confirmations, and lifts an unsubscribe when the person consents again',
    });
    // The confirmation's claim and history entry; the lift: a suppression entry deleted if it is an
    // unsubscribe, on the condition checked on the lead item.
    props.storage.grant(follow.fn, [
      { actions: ['GetItem', 'PutItem', 'ConditionCheckItem'], partitions: ['lead'] },
      { actions: ['UpdateItem'], partitions: ['lead'], onlyAttributes: emailClaimAttributes },
      { actions: ['GetItem', 'DeleteItem'], partitions: ['suppression'] },
    ]);
    props.email.bindSender(follow.fn);
    props.privacy.bindSuppressionList(follow.fn);
    props.secrets.bind(follow.fn, 'linkSigningKey');
    follow.fn.addEnvironment('PUBLIC_API_URL', props.api.api.apiEndpoint);
    consumeTableStream(this, 'UnfollowedConsentChanges', {
      table: props.storage.table,
      fn: follow.fn,
      failedRecords: 'consent changes whose confirmation email or unsubscribe lift kept failing',
      filters: [FilterCriteria.filter({ dynamodb: { Keys: { sk: { S: FilterRule.isEqual('LEAD') as unknown } } } })],
    });
  }

  /**
   * Gives a function what functions/shared/marketing-email.ts needs besides the sender binding
   * (Email.bindSender): the link key's read grant, the public API's URL for the unsubscribe link,
   * and the unsubscribe mailto when configured.
   */
  bindMarketingSender(fn: LambdaFunction): void {
    this.props.secrets.bind(fn, 'linkSigningKey');
    fn.addEnvironment('PUBLIC_API_URL', this.props.api.api.apiEndpoint);
    if (this.mailto) fn.addEnvironment('UNSUBSCRIBE_MAILTO', this.mailto);
  }
}
