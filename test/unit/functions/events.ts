import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** An HTTP API (payload 2.0) event as API Gateway sends it. */
export function httpEvent(
  routeKey: string,
  options: {
    path?: string;
    pathParameters?: Record<string, string>;
    headers?: Record<string, string>;
    body?: string;
    query?: Record<string, string>;
    /** The key the gateway's authorizer admitted: its context as `requestContext.authorizer.lambda`. */
    caller?: { name: string; scopes: string[] };
  } = {},
): APIGatewayProxyEventV2 {
  const [method, path] = routeKey.split(' ') as [string, string];
  return {
    version: '2.0',
    routeKey,
    rawPath: options.path ?? path,
    rawQueryString: '',
    headers: options.headers ?? {},
    queryStringParameters: options.query,
    pathParameters: options.pathParameters,
    body: options.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'example.com',
      domainPrefix: 'example',
      http: { method, path: options.path ?? path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      ...(options.caller && {
        authorizer: {
          lambda: { keyId: 'key_test0000000000000000', keyName: options.caller.name, scopes: options.caller.scopes.join(' ') },
        },
      }),
    },
  };
}

/** The Lambda context a function gets, for handlers invoked directly. */
export function lambdaContext(functionName = 'test-function'): Context {
  const context: Omit<Context, 'done' | 'fail' | 'succeed'> = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: 'request-1',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
  };
  const ignore = () => {};
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- Context still requires the deprecated callback-style members; they are defined here, not used
  return { ...context, done: ignore, fail: ignore, succeed: ignore };
}
