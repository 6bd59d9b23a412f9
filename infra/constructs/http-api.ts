import { CfnOutput } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * The public HTTP API (payload format 2.0) with access logs. Authorization is done inside the
 * functions: capture is public or HMAC-signed per form, admin routes check hashed API keys with
 * scopes (a key store an IAM or JWT authorizer cannot express).
 */
export class LeadflowHttpApi extends Construct {
  readonly api: HttpApi;
  private readonly integrations = new Map<IFunction, HttpLambdaIntegration>();

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', { createDefaultStage: false, description: 'leadflow API v1' });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      // Burst protection for the public capture route; per-form limits are the function's job.
      throttle: { rateLimit: 500, burstLimit: 1000 },
      // No request bodies or query strings (they hold personal data): method, route, status only.
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    new CfnOutput(scope, 'ApiUrl', { value: this.api.apiEndpoint });
  }

  /** Routes `METHOD /path` to a function (one integration per function, shared by its routes). */
  route(method: HttpMethod, path: string, fn: IFunction): void {
    let integration = this.integrations.get(fn);
    if (!integration) {
      integration = new HttpLambdaIntegration(`${fn.node.id}Integration`, fn);
      this.integrations.set(fn, integration);
    }
    const routes = this.api.addRoutes({ path, methods: [method], integration });
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Public capture routes are open by design (signed per form when configured); admin routes verify hashed API keys with scopes inside the function.',
      });
    }
  }
}
