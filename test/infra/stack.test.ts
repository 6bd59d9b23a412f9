import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CfnResource, type Stack } from 'aws-cdk-lib';
import { apiRoutes } from '../../api/routes';
import { synthesize } from './synthesize';

let stack: Stack;
let template: Template;

beforeAll(() => {
  // synth runs cdk-nag's AwsSolutions checks and throws on any unacknowledged finding.
  stack = synthesize().stack;
  template = Template.fromStack(stack);
});

/** The logical id of the CloudFormation resource at a construct path under the stack (`Leads/GetLead/Function`). */
function logicalIdAt(constructPath: string): string {
  const resource = stack.node
    .findChild(constructPath.split('/')[0]!)
    .node.findAll()
    .find((c) => c.node.path === `${stack.node.path}/${constructPath}/Resource`);
  if (!(resource instanceof CfnResource)) throw new Error(`no resource at ${constructPath}`);
  return stack.resolve(resource.logicalId) as string;
}

/** Parses a state machine's ASL; function ARNs are tokens in the template, placeholders keep the JSON parseable. */
function definitionOf(
  machineLogicalId: string,
): { StartAt: string; States: Record<string, Record<string, unknown>> } & Record<string, unknown> {
  const machine = template.findResources('AWS::StepFunctions::StateMachine')[machineLogicalId];
  expect(machine, machineLogicalId).toBeDefined();
  const parts = machine!.Properties.DefinitionString['Fn::Join'][1] as unknown[];
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
}

type Statement = { Action: string | string[]; Resource: unknown };

function statements(): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

describe('storage', () => {
  it('is one on-demand, encrypted, point-in-time-recoverable table with TTL and its three GSIs', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: Match.objectLike({ SSEEnabled: true }),
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({ IndexName: 'byStage' }),
          Match.objectLike({ IndexName: 'byDay' }),
          Match.objectLike({ IndexName: 'byOwner' }),
        ],
      }),
    });
  });

  it('is pre-warmed for a known peak, table and indexes alike, when the tableWarmThroughput context asks', () => {
    expect(JSON.stringify(template.findResources('AWS::DynamoDB::Table'))).not.toContain('WarmThroughput');
    const warmed = Template.fromStack(synthesize({ tableWarmThroughput: '{"writeUnitsPerSecond":20000}' }).stack);
    const [table] = Object.values(warmed.findResources('AWS::DynamoDB::Table'));
    expect(table!.Properties.WarmThroughput).toEqual({ WriteUnitsPerSecond: 20000 });
    const indexes = table!.Properties.GlobalSecondaryIndexes as Array<{ WarmThroughput?: unknown }>;
    expect(indexes.map((index) => index.WarmThroughput)).toEqual([
      { WriteUnitsPerSecond: 20000 },
      { WriteUnitsPerSecond: 20000 },
      { WriteUnitsPerSecond: 20000 },
    ]);
    // Below what a new on-demand table already serves, or a typo: refused at synth.
    for (const bad of [{ writeUnitsPerSecond: 1000 }, { writeUnits: 20000 }]) {
      expect(() => synthesize({ tableWarmThroughput: bad })).toThrow(/context tableWarmThroughput is invalid/);
    }
  });

  it('grants no wildcard actions or resources on the table', () => {
    // dynamodb:ListStreams is the one DynamoDB action that only takes Resource "*".
    const tableStatements = statements().filter(
      (s) => JSON.stringify(s.Action).includes('dynamodb:') && JSON.stringify(s.Action) !== '"dynamodb:ListStreams"',
    );
    expect(tableStatements.length).toBeGreaterThan(0);
    for (const statement of tableStatements) {
      expect(JSON.stringify(statement.Action)).not.toMatch(/\*/);
      expect(JSON.stringify(statement.Resource)).not.toMatch(/\*/);
    }
  });

  it.each(['LeadsGetLeadRole', 'LeadsGetLeadHistoryRole'])('gives the read-only function %s no write actions', (rolePrefix) => {
    const readers = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith(`${rolePrefix}DefaultPolicy`),
    );
    expect(readers).toHaveLength(1);
    const actions = JSON.stringify(readers[0]![1].Properties.PolicyDocument.Statement);
    expect(actions).toMatch(/dynamodb:(GetItem|Query)/);
    expect(actions).not.toMatch(/dynamodb:(Put|Update|Delete)Item|dynamodb:BatchWriteItem|dynamodb:TransactWriteItems/);
  });
});

describe('secrets', () => {
  /** Roles whose policies may read the secret with this logical id prefix. */
  function readersOf(secretPrefix: string): string[] {
    return Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) =>
        (policy.Properties.PolicyDocument.Statement as Statement[]).some(
          (s) => JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue') && JSON.stringify(s.Resource).includes(secretPrefix),
        ),
      )
      .map(([id]) => id.replace(/DefaultPolicy.*$/, ''))
      .sort();
  }

  it('generates the lead-id key, the form-secrets key and the link-signing key, retained, never rotated', () => {
    // The fourth is the Privacy construct's suppression salt (tested below).
    template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    for (const id of ['SecretsLeadIdKey', 'SecretsFormSecretsKey', 'SecretsLinkSigningKey']) {
      const [secret] = Object.entries(template.findResources('AWS::SecretsManager::Secret')).filter(([logicalId]) =>
        logicalId.startsWith(id),
      );
      expect(secret?.[1]).toMatchObject({
        DeletionPolicy: 'Retain',
        Properties: { GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true } },
      });
    }
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('lets only the functions that need a key read it', () => {
    expect(readersOf('SecretsLeadIdKey')).toEqual(['CaptureCaptureLeadRole', 'LeadsFindLeadsRole', 'LifecycleProcessLeadChangesRole']);
    expect(readersOf('SecretsFormSecretsKey')).toEqual(['AdminManageFormsRole', 'CaptureCaptureLeadRole']);
    // The links in emails: opened by the link routes, made by the marketing senders and the opt-in confirmation.
    expect(readersOf('SecretsLinkSigningKey')).toEqual([
      'CampaignsManageCampaignsRole',
      'CampaignsSendCampaignStepRole',
      'ConsentConsentLinksRole',
      'ConsentFollowConsentChangesRole',
      'LifecycleSendFollowUpRole',
      'LifecycleSendRetentionEmailRole',
    ]);
  });
});

describe('privacy', () => {
  it('routes the export (leads:read) and the erasure (admin) to their own functions', () => {
    for (const [routeKey, fn] of [
      ['GET /v1/leads/{leadId}/export', 'Privacy/ExportLead/Function'],
      ['DELETE /v1/leads/{leadId}', 'Privacy/EraseLead/Function'],
    ]) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey });
      expect(logicalIdAt(fn!)).toMatch(/^Privacy/);
    }
  });

  // The export's and the erasure's exact table grants are in test/infra/least-privilege.test.ts.
  it('keeps the suppression salt retained and unrotated, readable (GetSecretValue only) by the privacy functions and every sender', () => {
    const [salt] = Object.entries(template.findResources('AWS::SecretsManager::Secret')).filter(([id]) =>
      id.startsWith('PrivacySuppressionSalt'),
    );
    expect(salt?.[1]).toMatchObject({ DeletionPolicy: 'Retain', Properties: { GenerateSecretString: { PasswordLength: 64 } } });
    const readers = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) => JSON.stringify(policy.Properties.PolicyDocument.Statement).includes(salt![0]))
      .map(([id]) => id.replace(/DefaultPolicy.*$/, ''))
      .sort();
    expect(readers).toEqual([
      'CampaignsManageCampaignsRole',
      'CampaignsSendCampaignStepRole',
      'ConsentConsentLinksRole',
      'ConsentFollowConsentChangesRole',
      // Hard bounces and complaints put the address on the list.
      'EmailEventsApplyEmailEventsRole',
      'LifecycleFollowLeadChangesRole',
      'LifecycleSendFollowUpRole',
      'LifecycleSendRetentionEmailRole',
      'PrivacyEraseLeadRole',
      'PrivacyExportLeadRole',
    ]);
    const grants = statements().filter((statement) => JSON.stringify(statement.Resource).includes(salt![0]));
    for (const grant of grants) expect(grant.Action).toBe('secretsmanager:GetSecretValue');
  });
});

describe('functions', () => {
  it('run on the newest Node.js runtime, arm64, with their own log groups', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.LoggingConfig?.LogGroup).toBeDefined();
    }
  });

  it('log at INFO by default, or at the level the logLevel context sets', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL).toBe('INFO');
    }
    const debug = synthesize({ logLevel: 'debug' });
    const levels = Object.values(Template.fromStack(debug.stack).findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL as string,
    );
    expect(new Set(levels)).toEqual(new Set(['DEBUG']));
    expect(() => synthesize({ logLevel: 'loud' })).toThrow(/logLevel must be one of DEBUG, INFO, WARN, ERROR/);
  });
});

describe('lead lifecycle state machine', () => {
  const definition = () => definitionOf(logicalIdAt('Lifecycle/LeadLifecycle'));

  it('is a Standard machine in JSONPath with logging and tracing', () => {
    template.resourcePropertiesCountIs(
      'AWS::StepFunctions::StateMachine',
      {
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
      },
      // Every machine: the lifecycle, the rescore and the aggregation jobs.
      Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).length,
    );
    const asl = definition();
    expect(asl.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(JSON.stringify(asl)).not.toMatch(/"(Assign|Arguments|Output|HeartbeatSeconds)"/);
  });

  it('waits for the rep with a task token and a timeout from the step, and follows up on timeout', () => {
    const { States } = definition();
    expect(States.AwaitRepMove).toMatchObject({
      Resource: expect.stringContaining(':states:::lambda:invoke.waitForTaskToken'),
      TimeoutSecondsPath: '$.step.timeoutSeconds',
      Catch: [
        { ErrorEquals: ['States.Timeout'], Next: 'FollowUp' },
        { ErrorEquals: ['States.ALL'], Next: 'ParkAwaitRepMove' },
      ],
      Parameters: { Payload: { 'taskToken.$': '$$.Task.Token', 'executionStartedAt.$': '$$.Execution.StartTime' } },
    });
    // The wait's timeout is an answer (the follow-up), never retried.
    expect((States.AwaitRepMove as { Retry: unknown[] }).Retry[0]).toMatchObject({
      ErrorEquals: expect.arrayContaining(['States.Timeout']),
      MaxAttempts: 0,
    });
    expect(States.StageDecision).toMatchObject({ Type: 'Choice', Default: 'Done' });
  });

  it('retries every task on any transient error with backoff and jitter, and parks it when that fails', () => {
    const { States } = definition();
    const tasks = Object.entries(States).filter(([name, state]) => state.Type === 'Task' && !name.startsWith('Park'));
    expect(tasks.map(([name]) => name).sort()).toEqual(
      ['AwaitRepMove', 'ContinueAsNew', 'FollowUp', 'Renurture', 'Route', 'SendCheckIn', 'SendSurvey', 'SendThankYou', 'SendUpsell'].sort(),
    );
    for (const [name, state] of tasks) {
      const { Retry, Catch } = state as { Retry: Array<Record<string, unknown>>; Catch: Array<Record<string, unknown>> };
      expect(Retry[0]).toMatchObject({ ErrorEquals: expect.arrayContaining(['NotFoundError']), MaxAttempts: 0 });
      expect(Retry.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 7, BackoffRate: 2, JitterStrategy: 'FULL' });
      expect(Catch.at(-1)).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: `Park${name}` });
      // A parked execution waits for an operator's retry, then decides from the step it is given.
      expect(States[`Park${name}`]).toMatchObject({
        Resource: expect.stringContaining(':states:::lambda:invoke.waitForTaskToken'),
        Parameters: { Payload: { state: name, 'failure.$': '$.failure', 'taskToken.$': '$$.Task.Token' } },
        ResultPath: '$.step',
        Next: 'StageDecision',
      });
      expect(States[`Park${name}`]!.Retry).toContainEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'] }));
    }
  });

  it('hands an old execution to a successor (continue-as-new)', () => {
    const { States } = definition();
    expect(States.StageDecision!.Choices).toContainEqual({ Variable: '$.step.next', StringEquals: 'continue', Next: 'ContinueAsNew' });
    expect(States.ContinueAsNew).toMatchObject({
      Parameters: { 'stateMachineArn.$': '$$.StateMachine.Id', 'step.$': '$.step' },
      Next: 'Done',
    });
  });

  it('chains the retention emails with waits until the times the step gives', () => {
    const { States } = definition();
    expect(States.SendThankYou!.Next).toBe('WaitBeforeSendCheckIn');
    expect(States.WaitBeforeSendCheckIn).toMatchObject({ TimestampPath: '$.step.retention.checkInAt', Next: 'SendCheckIn' });
    expect(States.WaitToRenurture).toMatchObject({ TimestampPath: '$.step.renurtureAt', Next: 'Renurture' });
    // The last email ends the execution: no Succeed state (one transition fewer per win).
    expect(States.SendUpsell).toMatchObject({ End: true });
    expect(States.SendUpsell!.Next).toBeUndefined();
  });

  it('starts executions from the table stream, lead items and new submissions only, with a failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { sk: { S: ['LEAD'] } } } }) },
          { Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: ['SUBMISSION'] } } } }) },
        ],
      },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: Match.anyValue() },
    });
  });

  it('creates the SES templates and a configuration set that suppresses bounces and complaints', () => {
    // The lifecycle's eight and the double opt-in confirmation.
    template.resourceCountIs('AWS::SES::Template', 9);
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });
  });
});

describe('rescore state machine', () => {
  const definition = () => definitionOf(logicalIdAt('Scoring/Rescore'));

  it('keeps the construct id Rescore (the local cloud finds it by that id)', () => {
    expect(logicalIdAt('Scoring/Rescore')).toMatch(/^ScoringRescore[0-9A-F]{8}$/);
  });

  it('waits out the rules caches, then pages through the leads until the page function says done', () => {
    const { StartAt, States } = definition();
    expect(Object.keys(States).sort()).toEqual([
      'LetRulesCachesExpire',
      'MoreLeads',
      'RecordRescoreFailure',
      'RescoreFailed',
      'RescorePage',
      'Rescored',
    ]);
    expect(StartAt).toBe('LetRulesCachesExpire');
    expect(States.LetRulesCachesExpire).toMatchObject({ Type: 'Wait', Seconds: 15, Next: 'RescorePage' });
    expect(States.RescorePage).toMatchObject({ Type: 'Task', Resource: 'TOKEN', Next: 'MoreLeads' });
    expect(States.RescorePage).not.toHaveProperty('Parameters');
    expect(States.MoreLeads).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.done', BooleanEquals: false, Next: 'RescorePage' }],
      Default: 'Rescored',
    });
    expect(States.Rescored).toMatchObject({ Type: 'Succeed' });
  });

  it('retries transient page failures with jitter, then closes the job as failed', () => {
    const { States } = definition();
    expect(States.RescorePage!.Retry).toEqual([
      expect.objectContaining({
        ErrorEquals: expect.arrayContaining(['Lambda.TooManyRequestsException', 'TransactionCanceledException']),
        MaxAttempts: 6,
        BackoffRate: 2,
        JitterStrategy: 'FULL',
      }),
    ]);
    expect(States.RescorePage!.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'RecordRescoreFailure' }]);
    expect(States.RecordRescoreFailure).toMatchObject({
      Parameters: { 'jobId.$': '$.jobId', 'failure.$': '$.failure' },
      Next: 'RescoreFailed',
    });
    expect(States.RescoreFailed).toEqual({ Type: 'Fail', Error: 'RescoreFailed' });
  });
});

describe('HTTP API', () => {
  /** The logical id of the function a route's integration invokes. */
  function functionServing(routeKey: string): string {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }));
    expect(routes, routeKey).toHaveLength(1);
    const [, [, integrationRef]] = routes[0]!.Properties.Target['Fn::Join'] as [string, [string, { Ref: string }]];
    const integration = template.findResources('AWS::ApiGatewayV2::Integration')[integrationRef.Ref];
    return integration!.Properties.IntegrationUri['Fn::GetAtt'][0] as string;
  }

  it('serves the lead read routes from the leads construct', () => {
    expect(functionServing('GET /v1/leads/{leadId}')).toBe(logicalIdAt('Leads/GetLead/Function'));
    expect(functionServing('GET /v1/leads/{leadId}/history')).toBe(logicalIdAt('Leads/GetLeadHistory/Function'));
  });

  it('routes the capture webhook, its preflight and the admin routes', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey);
    expect(routeKeys).toEqual(
      expect.arrayContaining([
        'POST /v1/forms/{formId}/submissions',
        'OPTIONS /v1/forms/{formId}/submissions',
        'GET /v1/leads/{leadId}',
        'GET /v1/api-keys',
        'DELETE /v1/api-keys/{keyId}',
        'POST /v1/api-keys/{keyId}/rotate',
        'PUT /v1/forms/{formId}',
        'GET /health',
        'POST /v1/leads/{leadId}/stage',
        'GET /v1/leads/{leadId}/history',
      ]),
    );
  });

  /** The API logical id a route belongs to. */
  function apiOf(routeKey: string): string {
    const [route] = Object.values(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }));
    return route!.Properties.ApiId.Ref as string;
  }

  it('puts public capture on an API of its own, without gateway CORS, and every other route on the keyed API', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 2);
    const capture = apiOf('POST /v1/forms/{formId}/submissions');
    expect(apiOf('OPTIONS /v1/forms/{formId}/submissions')).toBe(capture);
    const keyed = apiOf('GET /v1/leads/{leadId}');
    expect(keyed).not.toBe(capture);
    for (const route of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) {
      if (!String(route.Properties.RouteKey).includes('/submissions'))
        expect(route.Properties.ApiId.Ref, route.Properties.RouteKey).toBe(keyed);
    }
    const apis = template.findResources('AWS::ApiGatewayV2::Api');
    expect(apis[capture]!.Properties.CorsConfiguration).toBeUndefined();
    template.hasOutput('ApiUrl', Match.anyValue());
    template.hasOutput('CaptureApiUrl', Match.anyValue());
  });

  it('puts every scoped route behind the Lambda REQUEST authorizer, cached 1 s per key and route, and no public route', () => {
    const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer');
    expect(Object.keys(authorizers)).toHaveLength(1);
    const [authorizerId] = Object.keys(authorizers);
    expect(authorizers[authorizerId!]!.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
      AuthorizerResultTtlInSeconds: 1,
    });
    for (const route of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) {
      const routeKey = route.Properties.RouteKey as string;
      const [method, path] = routeKey.split(' ');
      const declared = apiRoutes.find((candidate) => candidate.method.toUpperCase() === method && candidate.path === path);
      if (method === 'OPTIONS' || declared?.access === 'public') {
        expect(route.Properties.AuthorizationType, routeKey).toBe('NONE');
      } else {
        expect(declared, routeKey).toBeDefined();
        expect(route.Properties, routeKey).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      }
    }
    // The authorizer reads the scopes of the registry; it may only read the table.
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((candidate) =>
      String(candidate.Properties.Description).startsWith('Checks API keys'),
    );
    const scopes = JSON.parse(fn!.Properties.Environment.Variables.ROUTE_SCOPES as string) as Record<string, string>;
    expect(scopes).toMatchObject({
      'GET /v1/leads/{leadId}': 'leads:read',
      'DELETE /v1/api-keys/{keyId}': 'admin',
      'GET /v1/metrics': 'metrics:read',
    });
    expect(Object.values(scopes)).not.toContain('public');
  });

  it('throttles each stage: the defaults, or the context', () => {
    const throttles = () =>
      Object.values(template.findResources('AWS::ApiGatewayV2::Stage')).map((stage) => stage.Properties.DefaultRouteSettings);
    expect(throttles()).toEqual(
      expect.arrayContaining([
        { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
        { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      ]),
    );
    const configured = synthesize({
      apiThrottle: '{"rateLimit":20,"burstLimit":40}',
      dashboardOrigins: 'https://dash.example.com,http://localhost:4000',
    });
    const other = Template.fromStack(configured.stack);
    other.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
    other.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://dash.example.com', 'http://localhost:4000'],
        AllowHeaders: Match.arrayWith(['authorization']),
        ExposeHeaders: ['content-disposition'],
      }),
    });
    for (const bad of [
      { apiThrottle: { rateLimit: 0, burstLimit: 1 } },
      { dashboardOrigins: ['https://dash.example.com/path'] },
      { dashboardOrigins: ['*'] },
    ]) {
      expect(() => synthesize(bad)).toThrow(/context (apiThrottle|dashboardOrigins) is invalid/);
    }
  });

  it('has no gateway CORS configuration unless dashboard origins are given', () => {
    for (const api of Object.values(template.findResources('AWS::ApiGatewayV2::Api')))
      expect(api.Properties.CorsConfiguration).toBeUndefined();
  });

  it('logs access without bodies or query strings', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: Match.objectLike({ Format: Match.not(Match.stringLikeRegexp('requestBody|queryString')) }),
    });
  });
});
