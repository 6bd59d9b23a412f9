import { Stack, Validations } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';
import type { Storage } from './storage';

export interface EmailTemplatesProps {
  api: LeadflowHttpApi;
  storage: Storage;
}

/**
 * Marketing's email templates through the API (`/v1/email-templates`): kept in the table, each
 * version deployed to SES as its own SES template named `<prefix>-mkt-...`, the prefix taken from
 * the stack's name so that two stacks in one account never share templates.
 */
export class EmailTemplates extends Construct {
  /** The first part of every marketing SES template's name. */
  readonly templatePrefix: string;

  constructor(scope: Construct, id: string, props: EmailTemplatesProps) {
    super(scope, id);
    this.templatePrefix = templatePrefixOf(Stack.of(this).stackName);
    const manage = new LeadflowFunction(this, 'ManageEmailTemplates', {
      entry: 'manage-email-templates',
      description: "Lists, reads, writes and deletes marketing's email templates, deploying each version to SES",
      environment: { MARKETING_TEMPLATE_PREFIX: this.templatePrefix },
    });
    // One partition: read a template, list them, write one conditionally (a delete keeps a tombstone, so no DeleteItem).
    props.storage.grant(manage.fn, [{ actions: ['GetItem', 'Query', 'PutItem'], partitions: ['templates'] }]);
    manage.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:CreateEmailTemplate', 'ses:DeleteEmailTemplate'],
        resources: [this.templateArnPattern()],
      }),
    );
    Validations.of(manage).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:template/' + `${this.templatePrefix}-mkt-*]`,
      reason:
        "Every version of a marketing template is a new SES template, named at run time; the grant covers only this stack's marketing templates.",
    });
    for (const method of [HttpMethod.GET, HttpMethod.PUT, HttpMethod.DELETE])
      props.api.route(method, '/v1/email-templates/{templateId}', manage.fn);
    props.api.route(HttpMethod.GET, '/v1/email-templates', manage.fn);
  }

  /** The ARN of every marketing SES template of this stack: what a campaign sender may send with (ses:SendEmail). */
  templateArnPattern(): string {
    return Stack.of(this).formatArn({ service: 'ses', resource: 'template', resourceName: `${this.templatePrefix}-mkt-*` });
  }
}

/** The stack's name as a template-name prefix: lowercase letters, digits and -, at most 10 (SES names hold 64). */
function templatePrefixOf(stackName: string): string {
  const prefix = stackName
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '')
    .slice(0, 10);
  return prefix || 'leadflow';
}
