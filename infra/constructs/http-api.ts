import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as z from 'zod';
import { apiRoutes, type ApiRoute } from '../../api/routes';
import { LeadflowFunction } from './api-function';
import type { Storage } from './storage';

/** A stage's throttle: steady requests per second, and the burst the token bucket holds. */
export interface StageThrottle {
  rateLimit: number;
  burstLimit: number;
}

/** Defaults: capture takes landing-page traffic spikes; the keyed API serves people and integrations. */
export const defaultThrottles: { api: StageThrottle; capture: StageThrottle } = {
  api: { rateLimit: 100, burstLimit: 200 },
  capture: { rateLimit: 500, burstLimit: 1000 },
};

const throttleSchema = z.object({ rateLimit: z.number().positive().max(10_000), burstLimit: z.number().int().min(1).max(5_000) });
const originSchema = z
  .string()
  .refine(
    (value) => /^https?:\/\/[^/\s*]+$/.test(value) && new URL(value).origin === value,
    'must be an origin like https://dashboard.example.com',
  );

export interface LeadflowHttpApiProps {
  storage: Storage;
}

/**
 * Two HTTP APIs (payload format 2.0) with access logs and stage throttles:
 *
 * - **Api**: every keyed route behind a Lambda REQUEST authorizer that checks the hashed API key and
 *   the route's scope (declared once in api/routes.ts), plus the public service routes; the
 *   gateway's CORS configuration answers the dashboard's preflights.
 * - **CaptureApi**: public capture alone. It has no gateway CORS because each form allows its own
 *   origins, which only the function knows: with a CORS configuration, API Gateway answers every
 *   OPTIONS itself and drops the function's CORS headers.
 *
 * Context: `dashboardOrigins` (origins allowed to call Api from a browser), `apiThrottle` and
 * `captureThrottle` (`{"rateLimit", "burstLimit"}`).
 */
export class LeadflowHttpApi extends Construct {
  readonly api: HttpApi;
  readonly captureApi: HttpApi;
  readonly authorizer: HttpLambdaAuthorizer;
  readonly authorizerFunction: LeadflowFunction;
  private readonly integrations = new Map<IFunction, HttpLambdaIntegration>();

  constructor(scope: Construct, id: string, props: LeadflowHttpApiProps) {
    super(scope, id);
    const dashboardOrigins = contextOf(this, 'dashboardOrigins', z.array(originSchema), []);
    this.api = new HttpApi(this, 'Api', {
      createDefaultStage: false,
      description: 'leadflow API v1 (keyed routes, health and the API reference)',
      ...(dashboardOrigins.length > 0 && {
        corsPreflight: {
          allowOrigins: dashboardOrigins,
          allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.DELETE],
          allowHeaders: ['authorization', 'content-type', 'accept', 'idempotency-key'],
          // The dashboard names a downloaded CSV after the server's filename.
          exposeHeaders: ['content-disposition'],
          maxAge: Duration.minutes(10),
        },
      }),
    });
    this.captureApi = new HttpApi(this, 'CaptureApi', {
      createDefaultStage: false,
      description: 'leadflow public capture (per-form CORS answered by the function)',
    });
    stageFor(this, this.api, 'DefaultStage', 'AccessLogs', contextOf(this, 'apiThrottle', throttleSchema, defaultThrottles.api));
    const captureThrottle = contextOf(this, 'captureThrottle', throttleSchema, defaultThrottles.capture);
    stageFor(this, this.captureApi, 'CaptureStage', 'CaptureAccessLogs', captureThrottle);

    this.authorizerFunction = new LeadflowFunction(this, 'AuthorizeRequest', {
      entry: 'authorize-request',
      description: 'Checks API keys (stored hashed) and the route scope for the HTTP API',
      environment: {
        // The registry's scopes by route key: the one declaration of who may call what.
        ROUTE_SCOPES: JSON.stringify(
          Object.fromEntries(apiRoutes.filter((r) => r.access !== 'public').map((r) => [`${r.method.toUpperCase()} ${r.path}`, r.access])),
        ),
      },
    });
    // One consistent read of the key's record under its hash.
    props.storage.grant(this.authorizerFunction.fn, [{ actions: ['GetItem'], partitions: ['apiKey'] }]);
    this.authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', this.authorizerFunction.fn, {
      authorizerName: 'api-key',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      // Results are cached per key and per route (a key's verdict differs by route scope). The 1 s
      // TTL is the revocation bound: a revoked or expired key fails within 1 s.
      identitySource: ['$request.header.Authorization', '$context.routeKey'],
      resultsCacheTtl: Duration.seconds(1),
    });

    new CfnOutput(scope, 'ApiUrl', { value: this.api.apiEndpoint, description: 'The keyed API, health and the API reference' });
    new CfnOutput(scope, 'CaptureApiUrl', { value: this.captureApi.apiEndpoint, description: 'Public form capture' });
  }

  /**
   * Routes `METHOD /path` of Api to a function (one integration per function, shared by its routes).
   * The route must be declared in api/routes.ts: a scoped route goes behind the authorizer, a public
   * one (health, the API reference) is open.
   */
  route(method: HttpMethod, path: string, fn: IFunction): void {
    const declared = declaredRoute(method, path);
    if (!declared) throw new Error(`${method} ${path} is not declared in api/routes.ts`);
    if (declared.tag === 'Capture') throw new Error(`${method} ${path} is capture: route it with captureRoute()`);
    const routes = this.api.addRoutes({
      path,
      methods: [method],
      integration: this.integrationFor(fn),
      ...(declared.access !== 'public' && { authorizer: this.authorizer }),
    });
    if (declared.access === 'public') {
      for (const route of routes) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            declared.tag === 'Consent'
              ? 'The links in emails (unsubscribe, opt-in confirmation) are opened by people and mailbox providers without credentials: the signed token in the URL is the credential, checked by the function.'
              : 'A public service route (liveness, the API reference): it reads no data.',
        });
      }
    }
  }

  /** Routes public capture (and its preflight, answered by the function with the form's origins) on CaptureApi. */
  captureRoute(method: HttpMethod, path: string, fn: IFunction): void {
    const declared = declaredRoute(method, path);
    if (method !== HttpMethod.OPTIONS && declared?.access !== 'public') throw new Error(`${method} ${path} is not a public route`);
    const routes = this.captureApi.addRoutes({ path, methods: [method], integration: this.integrationFor(fn) });
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Public form capture is open by design (landing pages post without credentials); forms with a secret verify ' +
          "their provider's signature in the function, and the stage throttle bounds abuse.",
      });
    }
  }

  private integrationFor(fn: IFunction): HttpLambdaIntegration {
    let integration = this.integrations.get(fn);
    if (!integration) {
      integration = new HttpLambdaIntegration(`${fn.node.id}Integration`, fn);
      this.integrations.set(fn, integration);
    }
    return integration;
  }
}

/** The registry's declaration of `METHOD /path` (api/routes.ts). */
function declaredRoute(method: HttpMethod, path: string): ApiRoute | undefined {
  const key = `${method} ${path}`;
  return apiRoutes.find((route) => `${route.method.toUpperCase()} ${route.path}` === key);
}

/** The `$default` stage with its throttle and access log. */
function stageFor(scope: Construct, api: HttpApi, id: string, logsId: string, throttle: StageThrottle): HttpStage {
  const accessLogs = new LogGroup(scope, logsId, { retention: RetentionDays.ONE_MONTH });
  return new HttpStage(scope, id, {
    httpApi: api,
    stageName: '$default',
    autoDeploy: true,
    throttle,
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
          authorizerError: '$context.authorizer.error',
        }),
      ),
    },
  });
}

/** A context value (JSON from the command line, an object from cdk.json), validated at synth. */
function contextOf<T>(scope: Construct, name: string, schema: z.ZodType<T>, fallback: T): T {
  const raw: unknown = scope.node.tryGetContext(name);
  if (raw === undefined) return fallback;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      // A plain comma-separated list (`-c dashboardOrigins=https://a.example,https://b.example`).
      value = raw.split(',').map((item) => item.trim());
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new Error(`context ${name} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data;
}
