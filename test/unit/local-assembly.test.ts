import { describe, expect, it } from 'vitest';
import { TemplateResolver, UnresolvableError, parseTemplate, type CfnTemplate } from '../../local/assembly';
import { toEvent, toHttpResult } from '../../local/http-api';
import { compileRoute, matchRoute } from '../../local/routes';

const table = {
  Type: 'AWS::DynamoDB::Table',
  Properties: {
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byStage',
        KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
        ContributorInsightsSpecification: { Enabled: false },
      },
    ],
    TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    SSESpecification: { SSEEnabled: true },
  },
};

const fn = (environment: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  Type: 'AWS::Lambda::Function',
  Properties: {
    Runtime: 'nodejs24.x',
    Handler: 'index.handler',
    Environment: { Variables: environment },
    ...extra,
  },
  Metadata: { 'aws:cdk:path': 'App/Capture/CaptureLead/Function/Resource', 'aws:asset:path': 'asset.abc' },
});

const route = (routeKey: string, integration: string, extra: Record<string, unknown> = {}) => ({
  Type: 'AWS::ApiGatewayV2::Route',
  Properties: {
    ApiId: { Ref: 'Api' },
    RouteKey: routeKey,
    AuthorizationType: 'NONE',
    Target: { 'Fn::Join': ['', ['integrations/', { Ref: integration }]] },
    ...extra,
  },
});

const integration = (functionId: string) => ({
  Type: 'AWS::ApiGatewayV2::Integration',
  Properties: {
    ApiId: { Ref: 'Api' },
    IntegrationType: 'AWS_PROXY',
    IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
    PayloadFormatVersion: '2.0',
  },
});

function template(resources: Record<string, unknown>): CfnTemplate {
  return { Resources: resources as CfnTemplate['Resources'] };
}

const parse = (t: CfnTemplate) => parseTemplate(t, { stackName: 'App', assemblyDir: '/assembly' });

describe('TemplateResolver', () => {
  const resolver = new TemplateResolver(
    {
      Resources: {
        Table: table,
        Named: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'leads' } },
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
        Welcome: { Type: 'AWS::SES::Template', Properties: { Template: { TemplateName: 'welcome', SubjectPart: 'Hi' } } },
      },
      Parameters: {
        Stage: { Type: 'String', Default: 'dev' },
        BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/version' },
      },
    },
    'App',
  );
  const resolve = (value: unknown) => resolver.resolve(value, 'X');

  it('gives a resource a stable local name, or its declared one', () => {
    expect(resolve({ Ref: 'Table' })).toBe('App-Table');
    expect(resolve({ Ref: 'Named' })).toBe('leads');
    expect(resolve({ Ref: 'Welcome' })).toBe('welcome');
    expect(resolve({ Ref: 'Machine' })).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:App-Machine');
  });

  it('resolves ARNs, joins, subs, selects, splits, parameters and pseudo parameters', () => {
    expect(resolve({ 'Fn::GetAtt': ['Table', 'Arn'] })).toBe('arn:aws:dynamodb:us-east-1:000000000000:table/App-Table');
    expect(resolve({ 'Fn::GetAtt': 'Named.Arn' })).toBe('arn:aws:dynamodb:us-east-1:000000000000:table/leads');
    expect(resolve({ 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['Named', 'Arn'] }, 'index', '*']] })).toBe(
      'arn:aws:dynamodb:us-east-1:000000000000:table/leads/index/*',
    );
    expect(resolve({ 'Fn::Sub': '${Named}-${AWS::Region}-${Stage}-${!Literal}' })).toBe('leads-us-east-1-dev-${Literal}');
    expect(resolve({ 'Fn::Sub': ['${Name}.${Named.Arn}', { Name: { Ref: 'AWS::StackName' } }] })).toBe(
      'App.arn:aws:dynamodb:us-east-1:000000000000:table/leads',
    );
    expect(resolve({ 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] })).toBe('b');
    expect(resolve({ Env: { A: 'plain', B: { Ref: 'AWS::NoValue' } }, List: [1, { Ref: 'AWS::NoValue' }] })).toEqual({
      Env: { A: 'plain' },
      List: [1],
    });
  });

  it('fails clearly, naming the place, on what has no local value', () => {
    expect(() => resolver.resolve({ 'Fn::ImportValue': 'Shared-Vpc' }, 'Fn.Properties.Environment.Variables.VPC')).toThrow(
      /^Fn\.Properties\.Environment\.Variables\.VPC: Fn::ImportValue is not supported/,
    );
    expect(() => resolve({ Ref: 'Missing' })).toThrow(UnresolvableError);
    expect(() => resolve({ Ref: 'Missing' })).toThrow('X: the template has no resource Missing');
    expect(() => resolve({ 'Fn::GetAtt': ['Table', 'Owner'] })).toThrow('attribute Owner (of Table) has no local value');
    expect(() => resolve({ Ref: 'BootstrapVersion' })).toThrow('parameter BootstrapVersion has no local value');
    expect(() => resolve({ 'Fn::Join': ['', 'not a list'] })).toThrow('malformed Fn::Join');
  });
});

describe('parseTemplate', () => {
  const resources = {
    Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'Api', ProtocolType: 'HTTP' } },
    Table: table,
    Capture: fn(
      {
        TABLE_NAME: { Ref: 'Table' },
        TABLE_ARN: { 'Fn::GetAtt': ['Table', 'Arn'] },
        MODE: 'local',
      },
      { Timeout: 10, MemorySize: 512 },
    ),
    CaptureIntegration: integration('Capture'),
    PostRoute: route('POST /v1/forms/{formId}/submissions', 'CaptureIntegration'),
    OptionsRoute: route('OPTIONS /v1/forms/{formId}/submissions', 'CaptureIntegration'),
  };

  it('reads a table as a CreateTable request with its TTL attribute', () => {
    const [spec] = parse(template(resources)).tables;
    expect(spec).toMatchObject({ logicalId: 'Table', name: 'App-Table', ttlAttribute: 'expiresAt' });
    expect(spec!.definition).toMatchObject({ TableName: 'App-Table', BillingMode: 'PAY_PER_REQUEST' });
    expect(spec!.definition.GlobalSecondaryIndexes).toEqual([
      { IndexName: 'byStage', KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
    ]);
  });

  it('reads a function with its resolved environment, bundle and limits', () => {
    const [spec] = parse(template(resources)).functions;
    expect(spec).toEqual({
      logicalId: 'Capture',
      constructPath: 'Capture/CaptureLead/Function',
      name: 'App-Capture',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:App-Capture',
      runtime: 'nodejs24.x',
      codeDir: '/assembly/asset.abc',
      handler: 'index.handler',
      timeoutSeconds: 10,
      memorySize: 512,
      environment: {
        TABLE_NAME: 'App-Table',
        TABLE_ARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/App-Table',
        MODE: 'local',
      },
    });
  });

  it('uses CloudFormation defaults for timeout and memory', () => {
    const [spec] = parse(template({ Fn: fn({}) })).functions;
    expect(spec).toMatchObject({ timeoutSeconds: 3, memorySize: 128 });
  });

  it('follows each route through its integration to its function', () => {
    expect(parse(template(resources)).httpApis).toEqual([
      {
        logicalId: 'Api',
        routes: [
          { routeKey: 'POST /v1/forms/{formId}/submissions', functionLogicalId: 'Capture' },
          { routeKey: 'OPTIONS /v1/forms/{formId}/submissions', functionLogicalId: 'Capture' },
        ],
        cors: undefined,
        throttle: undefined,
      },
    ]);
  });

  /** A second API with an authorizer, a CORS configuration and a throttled stage, as infra/constructs/http-api.ts declares them. */
  const keyed = {
    ...resources,
    KeyedApi: {
      Type: 'AWS::ApiGatewayV2::Api',
      Properties: {
        Name: 'Keyed',
        ProtocolType: 'HTTP',
        CorsConfiguration: {
          AllowOrigins: ['https://dash.example.com'],
          AllowMethods: ['GET', 'POST'],
          AllowHeaders: ['authorization'],
          ExposeHeaders: ['content-disposition'],
          MaxAge: 600,
        },
      },
    },
    Authorizer: {
      Type: 'AWS::ApiGatewayV2::Authorizer',
      Properties: {
        ApiId: { Ref: 'KeyedApi' },
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        AuthorizerResultTtlInSeconds: 1,
        IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
        Name: 'api-key',
        AuthorizerUri: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':apigateway:',
              { Ref: 'AWS::Region' },
              ':lambda:path/2015-03-31/functions/',
              { 'Fn::GetAtt': ['Capture', 'Arn'] },
              '/invocations',
            ],
          ],
        },
      },
    },
    KeyedRoute: route('GET /v1/leads/{leadId}', 'CaptureIntegration', {
      ApiId: { Ref: 'KeyedApi' },
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: 'Authorizer' },
    }),
    KeyedStage: {
      Type: 'AWS::ApiGatewayV2::Stage',
      Properties: {
        ApiId: { Ref: 'KeyedApi' },
        StageName: '$default',
        DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      },
    },
  };

  it("reads each API's authorizers, CORS configuration and stage throttle", () => {
    const [, api] = parse(template(keyed)).httpApis;
    expect(api).toEqual({
      logicalId: 'KeyedApi',
      routes: [
        {
          routeKey: 'GET /v1/leads/{leadId}',
          functionLogicalId: 'Capture',
          authorizer: {
            logicalId: 'Authorizer',
            name: 'api-key',
            functionLogicalId: 'Capture',
            identitySource: ['$request.header.Authorization', '$context.routeKey'],
            resultTtlSeconds: 1,
          },
        },
      ],
      cors: {
        allowOrigins: ['https://dash.example.com'],
        allowMethods: ['GET', 'POST'],
        allowHeaders: ['authorization'],
        exposeHeaders: ['content-disposition'],
        maxAgeSeconds: 600,
        allowCredentials: false,
      },
      throttle: { rateLimit: 100, burstLimit: 200 },
    });
  });

  it('refuses authorizers and stage settings it does not emulate', () => {
    const withAuthorizer = (changes: Record<string, unknown>) =>
      template({ ...keyed, Authorizer: { ...keyed.Authorizer, Properties: { ...keyed.Authorizer.Properties, ...changes } } });
    expect(() => parse(withAuthorizer({ EnableSimpleResponses: false }))).toThrow(
      'only Lambda REQUEST authorizers with payload format 2.0',
    );
    expect(() => parse(withAuthorizer({ AuthorizerType: 'JWT' }))).toThrow('only Lambda REQUEST authorizers');
    const stage = (props: Record<string, unknown>) =>
      template({ ...keyed, KeyedStage: { ...keyed.KeyedStage, Properties: { ...keyed.KeyedStage.Properties, ...props } } });
    expect(() => parse(stage({ RouteSettings: { 'GET /x': { ThrottlingRateLimit: 1 } } }))).toThrow('per-route settings are not emulated');
    expect(() => parse(stage({ DefaultRouteSettings: { ThrottlingRateLimit: 5 } }))).toThrow(
      'set both ThrottlingRateLimit and ThrottlingBurstLimit',
    );
  });

  it('refuses what it would run unfaithfully', () => {
    expect(() => parse(template({ ...resources, Capture: fn({}, { Runtime: 'python3.12' }) }))).toThrow(
      'runtime python3.12 cannot run in the local cloud',
    );
    expect(() =>
      parse(template({ ...resources, PostRoute: route('POST /x', 'CaptureIntegration', { AuthorizationType: 'JWT' }) })),
    ).toThrow('authorization type JWT is not emulated locally');
    expect(() => parse(template({ ...resources, Capture: fn({ VPC: { Ref: 'Vpc' } }), Vpc: { Type: 'AWS::EC2::VPC' } }))).toThrow(
      'Capture.Properties.Environment.Variables.VPC: AWS::EC2::VPC (Vpc) has no local counterpart',
    );
  });
});

describe('route matching', () => {
  const routes = [
    'GET /health',
    'GET /v1/leads/{leadId}',
    'GET /v1/leads/export',
    'ANY /v1/leads/{leadId}',
    'POST /v1/forms/{formId}/submissions',
    'GET /files/{proxy+}',
    '$default',
  ].map((key) => compileRoute(key, key));
  const match = (method: string, path: string) => matchRoute(routes, method, path);

  it('prefers an exact path to a parameter, and a method to ANY', () => {
    expect(match('GET', '/v1/leads/export')?.route.routeKey).toBe('GET /v1/leads/export');
    expect(match('GET', '/v1/leads/ld_1')).toMatchObject({
      route: { routeKey: 'GET /v1/leads/{leadId}' },
      pathParameters: { leadId: 'ld_1' },
    });
    expect(match('DELETE', '/v1/leads/ld_1')?.route.routeKey).toBe('ANY /v1/leads/{leadId}');
  });

  it('decodes parameters and lets a greedy variable take the rest of the path', () => {
    expect(match('POST', '/v1/forms/spring%20launch/submissions')?.pathParameters).toEqual({ formId: 'spring launch' });
    expect(match('GET', '/files/a/b/c.txt')).toMatchObject({
      route: { routeKey: 'GET /files/{proxy+}' },
      pathParameters: { proxy: 'a/b/c.txt' },
    });
  });

  it('falls back to $default, and without it matches nothing', () => {
    expect(match('GET', '/files')?.route.routeKey).toBe('$default');
    expect(match('POST', '/health')?.route.routeKey).toBe('$default');
    const withoutDefault = routes.filter((r) => r.routeKey !== '$default');
    expect(matchRoute(withoutDefault, 'POST', '/health')).toBeUndefined();
    expect(matchRoute(withoutDefault, 'POST', '/v1/forms//submissions')).toBeUndefined();
  });

  it('rejects a greedy variable that is not last', () => {
    expect(() => compileRoute('GET /{proxy+}/x', null)).toThrow('must come last');
  });
});

describe('API Gateway payload format 2.0', () => {
  const request = {
    method: 'POST',
    rawPath: '/v1/forms/default/submissions',
    rawQueryString: 'a=1&a=2&b=x%20y',
    rawHeaders: [
      'Content-Type',
      'application/x-www-form-urlencoded',
      'X-Tag',
      'one',
      'x-tag',
      'two',
      'Cookie',
      'a=1; b=2',
      'Host',
      '127.0.0.1:3000',
    ],
    body: Buffer.from('email=ada%40example.com'),
    protocol: 'HTTP/1.1',
    sourceIp: '127.0.0.1',
    requestId: 'req-1',
    now: new Date('2026-03-12T19:03:58.000Z'),
  };
  const match = matchRoute([compileRoute('POST /v1/forms/{formId}/submissions', 'Capture')], 'POST', request.rawPath)!;

  it('builds the event: lowercased, comma-joined headers, cookies apart, query and path parameters, a text body', () => {
    const event = toEvent(request, match);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/forms/{formId}/submissions',
      rawQueryString: 'a=1&a=2&b=x%20y',
      cookies: ['a=1', 'b=2'],
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-tag': 'one,two', host: '127.0.0.1:3000' },
      queryStringParameters: { a: '1,2', b: 'x y' },
      pathParameters: { formId: 'default' },
      body: 'email=ada%40example.com',
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'POST', path: '/v1/forms/default/submissions', sourceIp: '127.0.0.1' },
        stage: '$default',
        time: '12/Mar/2026:19:03:58 +0000',
        timeEpoch: request.now.getTime(),
      },
    });
    expect(event.headers).not.toHaveProperty('cookie');
  });

  it('base64-encodes a binary body and leaves out an empty one', () => {
    const binary = toEvent({ ...request, rawHeaders: ['Content-Type', 'application/octet-stream'], body: Buffer.from([0, 255]) }, match);
    expect(binary).toMatchObject({ body: 'AP8=', isBase64Encoded: true });
    const empty = toEvent({ ...request, rawHeaders: [], body: Buffer.alloc(0) }, match);
    expect(empty).not.toHaveProperty('body');
    expect(empty.isBase64Encoded).toBe(false);
  });

  it('turns a structured result into the response, cookies into set-cookie headers', () => {
    const result = toHttpResult({
      statusCode: 303,
      headers: { Location: '/thanks', 'X-Count': 2 },
      cookies: ['a=1; Secure'],
      body: Buffer.from('hi').toString('base64'),
      isBase64Encoded: true,
    });
    expect(result).toEqual({
      statusCode: 303,
      headers: { location: '/thanks', 'x-count': '2', 'set-cookie': ['a=1; Secure'] },
      body: Buffer.from('hi'),
    });
  });

  it('answers any other result as JSON with 200, and refuses a malformed one', () => {
    expect(toHttpResult({ ok: true })).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"ok":true}'),
    });
    expect(toHttpResult('done').body.toString()).toBe('"done"');
    expect(() => toHttpResult({ statusCode: 'teapot' })).toThrow('malformed Lambda response');
  });
});
