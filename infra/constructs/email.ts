import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnTemplate, ConfigurationSet, ConfigurationSetTlsPolicy, SuppressionReasons } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { emailTemplates } from '../../core/email-templates';

export interface EmailProps {
  /** The verified address (or an address of a verified domain) mail is sent from. */
  senderEmail: string;
}

/** SES v2 sending: the lifecycle's templates and a configuration set every email goes through. */
export class Email extends Construct {
  readonly configurationSet: ConfigurationSet;
  private readonly templateNames: Record<string, string> = {};
  private readonly senderEmail: string;

  constructor(scope: Construct, id: string, props: EmailProps) {
    super(scope, id);
    this.senderEmail = props.senderEmail;
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      // Bounces and complaints suppress the address account-wide; mail only over TLS.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
    });
    for (const template of emailTemplates) {
      const resource = new CfnTemplate(this, `Template${pascal(template.id)}`, {
        template: { subjectPart: template.subject, htmlPart: template.html, textPart: template.text },
      });
      this.templateNames[template.id] = resource.ref;
    }
  }

  /** Lets a function send the templates: its env vars and a grant scoped to the sender, set and templates, in one call. */
  bindSender(fn: LambdaFunction): void {
    const stack = Stack.of(this);
    fn.addEnvironment('SENDER_EMAIL', this.senderEmail);
    fn.addEnvironment('CONFIGURATION_SET_NAME', this.configurationSet.configurationSetName);
    fn.addEnvironment('EMAIL_TEMPLATES', stack.toJsonString(this.templateNames));
    const arn = (resource: string) => stack.formatArn({ service: 'ses', resource });
    const domain = this.senderEmail.split('@')[1];
    if (!domain) throw new Error(`the sender ${this.senderEmail} is not an email address`);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          arn(`identity/${this.senderEmail}`),
          arn(`identity/${domain}`),
          arn(`configuration-set/${this.configurationSet.configurationSetName}`),
          ...Object.values(this.templateNames).map((name) => arn(`template/${name}`)),
        ],
      }),
    );
  }
}

function pascal(id: string): string {
  return id.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}
