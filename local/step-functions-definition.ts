/**
 * What the local Step Functions service can run of an ASL definition, and the definition it hands
 * to aws-local-stepfunctions.
 *
 * The library silently ignores whatever it does not implement (JSONata, variables, heartbeats,
 * ...), so a definition that uses such a feature would run differently than on AWS. `prepareDefinition`
 * rejects those up front, naming the state and the feature, and rewrites the rest so the
 * local service controls every Task and every Wait:
 * - each Task and Wait becomes a Task whose `Parameters` is an envelope
 *   `{ input: <original Parameters or "$">, timeoutSeconds?, seconds?, timestamp? }`, so the
 *   local handler receives the effective input plus the values of `TimeoutSecondsPath`,
 *   `SecondsPath` and `TimestampPath` evaluated by the library on the same input as AWS would;
 * - the library's own Task timeout (60 s by default, none on AWS) is pushed out of the way: the
 *   local service applies `TimeoutSeconds` itself (scaled for `.waitForTaskToken` tasks only);
 * - Retry intervals and the execution `TimeoutSeconds` are divided by the time scale, keeping
 *   `BackoffRate` and `JitterStrategy` as they are.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export class UnsupportedDefinitionError extends Error {
  constructor(
    readonly problems: string[],
    options?: ErrorOptions,
  ) {
    super(`definition cannot run locally:\n- ${problems.join('\n- ')}`, options);
    this.name = 'UnsupportedDefinitionError';
  }
}

/** Where a Task state's work goes. */
export type TaskTarget =
  /** `arn:aws:states:::lambda:invoke`: Parameters `{FunctionName, Payload}`, result `{Payload, StatusCode, ...}`. */
  | { kind: 'lambda-invoke' }
  /** A function ARN as Resource: the input is the payload, the result is the function's answer. */
  | { kind: 'lambda-function'; functionArn: string }
  /** An optimized (`dynamodb:putItem`) or AWS SDK (`aws-sdk:sesv2:sendEmail`) integration. */
  | { kind: 'integration'; key: string; errorPrefix: string; appendExceptionSuffix: boolean };

export interface LocalTask {
  type: 'Task';
  name: string;
  resource: string;
  /** For history events, as AWS reports them: `lambda` + `invoke.waitForTaskToken`, `aws-sdk:sesv2` + `sendEmail`. */
  resourceType: string;
  resourceName: string;
  target: TaskTarget;
  waitForTaskToken: boolean;
  /** Static `TimeoutSeconds`; with `TimeoutSecondsPath` the value arrives in the envelope. */
  timeoutSeconds?: number;
  hasTimeoutPath: boolean;
}

export interface LocalWait {
  type: 'Wait';
  name: string;
  seconds?: number;
  timestamp?: string;
}

export interface OtherState {
  type: 'Pass' | 'Choice' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';
  name: string;
}

export type LocalState = LocalTask | LocalWait | OtherState;

/** Shape of the `Parameters` envelope a local Task handler receives. */
export interface Envelope {
  input: Json;
  timeoutSeconds?: Json;
  seconds?: Json;
  timestamp?: Json;
}

export interface PreparedDefinition {
  /** The rewritten definition for aws-local-stepfunctions. */
  definition: JsonObject;
  /** Every state by name, nested Parallel branches and Map processors included (names are unique). */
  states: Map<string, LocalState>;
  /** The execution timeout from the original definition, in seconds (AWS time). */
  timeoutSeconds?: number;
}

export interface PrepareOptions {
  timeScale: number;
  /** Keys of the available integrations, e.g. `dynamodb:putItem`, `aws-sdk:sesv2:sendEmail`. */
  integrations: ReadonlySet<string>;
}

/**
 * The library's Task timer uses setTimeout, which fires at once above 2^31-1 ms; this is the
 * largest whole number of seconds below that, i.e. "never" for a local run.
 */
export const LIBRARY_TASK_TIMEOUT_SECONDS = 2_147_483;

const UNSUPPORTED_STATE_FIELDS: Record<string, string> = {
  Assign: 'workflow variables (Assign)',
  Arguments: 'Arguments (JSONata)',
  Output: 'Output (JSONata)',
  HeartbeatSeconds: 'HeartbeatSeconds',
  HeartbeatSecondsPath: 'HeartbeatSecondsPath',
  Credentials: 'cross-account Credentials',
  Items: 'Items (JSONata)',
  ItemReader: 'ItemReader (Distributed Map reading from S3)',
  ItemBatcher: 'ItemBatcher',
  ResultWriter: 'ResultWriter',
  ToleratedFailurePercentage: 'ToleratedFailurePercentage',
  ToleratedFailurePercentagePath: 'ToleratedFailurePercentagePath',
  ToleratedFailureCount: 'ToleratedFailureCount',
  ToleratedFailureCountPath: 'ToleratedFailureCountPath',
};

/** Service names of AWS SDK integrations as they prefix error names (`SesV2.MessageRejectedException`). */
const SDK_ERROR_PREFIXES: Record<string, string> = {
  dynamodb: 'DynamoDb',
  sesv2: 'SesV2',
  sfn: 'Sfn',
  eventbridge: 'EventBridge',
  s3: 'S3',
  sqs: 'Sqs',
  sns: 'Sns',
};

/** Optimized integrations prefix errors with their own names (`DynamoDB.ConditionalCheckFailedException`). */
const OPTIMIZED_ERROR_PREFIXES: Record<string, string> = { dynamodb: 'DynamoDB' };

/** Optimized integrations that AWS runs only as request-response. */
const REQUEST_RESPONSE_ONLY = new Set(['dynamodb']);

export function prepareDefinition(definition: unknown, options: PrepareOptions): PreparedDefinition {
  if (!(options.timeScale > 0) || !Number.isFinite(options.timeScale)) {
    throw new RangeError(`timeScale must be a positive number, got ${options.timeScale}`);
  }
  const root = parseDefinition(definition);
  const problems: string[] = [];
  const states = new Map<string, LocalState>();
  if (root.QueryLanguage === 'JSONata') problems.push('QueryLanguage JSONata: write the definition in JSONPath');
  const rewritten = rewriteMachine(root, { ...options, problems, states });
  if (problems.length > 0) throw new UnsupportedDefinitionError(problems);

  const timeoutSeconds = typeof root.TimeoutSeconds === 'number' ? root.TimeoutSeconds : undefined;
  if (timeoutSeconds !== undefined) rewritten.TimeoutSeconds = timeoutSeconds / options.timeScale;
  return { definition: rewritten, states, ...(timeoutSeconds !== undefined && { timeoutSeconds }) };
}

function parseDefinition(definition: unknown): JsonObject {
  const value: unknown = typeof definition === 'string' ? JSON.parse(definition) : definition;
  if (!isObject(value) || typeof value.StartAt !== 'string' || !isObject(value.States)) {
    throw new UnsupportedDefinitionError(['not an ASL definition: StartAt and States are required']);
  }
  return value;
}

interface Walk extends PrepareOptions {
  problems: string[];
  states: Map<string, LocalState>;
}

function rewriteMachine(machine: JsonObject, walk: Walk): JsonObject {
  const states = machine.States as JsonObject;
  const rewritten: JsonObject = {};
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) {
      walk.problems.push(`state "${name}": not an object`);
      continue;
    }
    if (walk.states.has(name)) walk.problems.push(`state "${name}": the name is used twice (names must be unique across branches)`);
    rewritten[name] = rewriteState(name, state, walk);
  }
  return { ...machine, States: rewritten };
}

function rewriteState(name: string, state: JsonObject, walk: Walk): JsonObject {
  const problem = (feature: string) => walk.problems.push(`state "${name}": ${feature} is not supported locally`);
  if (state.QueryLanguage === 'JSONata') problem('QueryLanguage JSONata');
  for (const [field, feature] of Object.entries(UNSUPPORTED_STATE_FIELDS)) {
    if (field in state) problem(feature);
  }
  for (const entry of [...asArray(state.Catch), ...asArray(state.Choices)]) {
    if (isObject(entry) && ('Assign' in entry || 'Output' in entry || 'Condition' in entry)) {
      problem('Assign/Output/Condition inside Catch or Choices (JSONata / variables)');
    }
  }
  const type = state.Type;
  const isCallbackTask = type === 'Task' && typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken');
  if (!isCallbackTask && mentionsTaskToken(state)) {
    problem('$$.Task.Token outside a .waitForTaskToken Task');
  }
  const scaled = { ...state, ...scaledRetry(state.Retry, walk.timeScale) };

  switch (type) {
    case 'Task':
      return rewriteTask(name, scaled, walk, problem);
    case 'Wait':
      return rewriteWait(name, scaled, walk);
    case 'Parallel':
      walk.states.set(name, { type, name });
      return {
        ...scaled,
        Branches: asArray(state.Branches).map((branch) =>
          isObject(branch) && isObject(branch.States) ? rewriteMachine(branch, walk) : branch,
        ),
      };
    case 'Map': {
      walk.states.set(name, { type, name });
      const processorKey = 'ItemProcessor' in state ? 'ItemProcessor' : 'Iterator';
      const processor = state[processorKey];
      // A DISTRIBUTED processor runs inline here: the library ignores ProcessorConfig.
      return isObject(processor) && isObject(processor.States) ? { ...scaled, [processorKey]: rewriteMachine(processor, walk) } : scaled;
    }
    case 'Pass':
    case 'Choice':
    case 'Succeed':
    case 'Fail':
      walk.states.set(name, { type, name });
      return scaled;
    default:
      problem(`Type ${JSON.stringify(type)}`);
      return scaled;
  }
}

function rewriteTask(name: string, state: JsonObject, walk: Walk, problem: (feature: string) => void): JsonObject {
  const resource = typeof state.Resource === 'string' ? state.Resource : '';
  const parsed = parseResource(resource, walk.integrations);
  if ('problem' in parsed) {
    problem(`Resource ${JSON.stringify(resource)} (${parsed.problem})`);
    return state;
  }
  const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
  const timeoutPath = typeof state.TimeoutSecondsPath === 'string' ? state.TimeoutSecondsPath : undefined;
  if ((timeoutSeconds !== undefined || timeoutPath !== undefined) && timeoutMatchedByTaskFailed(state)) {
    // The library matches States.TaskFailed against every error not thrown by its own timer;
    // the local timeout is not its timer, so the entry would catch the timeout unlike AWS.
    problem('a Retry or Catch entry with States.TaskFailed before any entry for States.Timeout (or States.ALL)');
  }
  walk.states.set(name, {
    type: 'Task',
    name,
    resource,
    ...parsed,
    ...(timeoutSeconds !== undefined && { timeoutSeconds }),
    hasTimeoutPath: timeoutPath !== undefined,
  });
  const { Parameters, TimeoutSecondsPath: _path, ...rest } = state;
  return {
    ...rest,
    TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS,
    Parameters: {
      ...(Parameters === undefined ? { 'input.$': '$' } : { input: Parameters }),
      ...(timeoutPath !== undefined && { 'timeoutSeconds.$': timeoutPath }),
    },
  };
}

/**
 * A Wait becomes a Task with a local handler that sleeps the scaled duration and returns its
 * input: the library's `waitTimeOverrides` take one fixed number per state, which cannot scale
 * `SecondsPath`, `TimestampPath` or a `Timestamp` relative to the moment the state is entered.
 * InputPath and OutputPath keep their meaning; there is no ResultPath, so the result (the
 * effective input) becomes the output, as for a Wait.
 */
function rewriteWait(name: string, state: JsonObject, walk: Walk): JsonObject {
  walk.states.set(name, {
    type: 'Wait',
    name,
    ...(typeof state.Seconds === 'number' && { seconds: state.Seconds }),
    ...(typeof state.Timestamp === 'string' && { timestamp: state.Timestamp }),
  });
  const { Seconds: _s, Timestamp: _t, SecondsPath, TimestampPath, ...rest } = state;
  return {
    ...rest,
    Type: 'Task',
    Resource: 'arn:aws:states:::local:wait',
    TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS,
    Parameters: {
      'input.$': '$',
      ...(typeof SecondsPath === 'string' && { 'seconds.$': SecondsPath }),
      ...(typeof TimestampPath === 'string' && { 'timestamp.$': TimestampPath }),
    },
  };
}

type ParsedResource = Pick<LocalTask, 'target' | 'waitForTaskToken' | 'resourceType' | 'resourceName'> | { problem: string };

function parseResource(resource: string, integrations: ReadonlySet<string>): ParsedResource {
  const lambdaArn = /^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/;
  if (lambdaArn.test(resource)) {
    return {
      target: { kind: 'lambda-function', functionArn: resource },
      waitForTaskToken: false,
      resourceType: 'lambda',
      resourceName: resource,
    };
  }
  const integration = /^arn:[\w-]+:states:::(.+?)(\.waitForTaskToken|\.sync(:2)?)?$/.exec(resource);
  if (!integration?.[1]) return { problem: 'not a Lambda function ARN or a service integration; activities are not supported' };
  const [, api, pattern] = integration;
  if (pattern?.startsWith('.sync')) return { problem: 'the .sync (run a job) pattern' };
  const waitForTaskToken = pattern === '.waitForTaskToken';
  const parts = api.split(':');
  const action = parts.at(-1) ?? '';
  const resourceType = parts.slice(0, -1).join(':');
  const resourceName = `${action}${pattern ?? ''}`;

  if (api === 'lambda:invoke') return { target: { kind: 'lambda-invoke' }, waitForTaskToken, resourceType, resourceName };
  const [first, service] = parts;
  const isSdk = first === 'aws-sdk';
  if ((isSdk && parts.length !== 3) || (!isSdk && parts.length !== 2) || !service) {
    return { problem: 'not a service integration of the form <service>:<action> or aws-sdk:<service>:<action>' };
  }
  if (!isSdk && waitForTaskToken && REQUEST_RESPONSE_ONLY.has(first ?? '')) {
    return { problem: `${first} integrations support only request-response on AWS, not .waitForTaskToken` };
  }
  if (!integrations.has(api)) return { problem: `no local handler for ${JSON.stringify(api)} is configured` };
  const serviceName = isSdk ? service : (first ?? '');
  const errorPrefix = isSdk
    ? (SDK_ERROR_PREFIXES[serviceName] ?? capitalize(serviceName))
    : (OPTIMIZED_ERROR_PREFIXES[serviceName] ?? capitalize(serviceName));
  return {
    target: { kind: 'integration', key: api, errorPrefix, appendExceptionSuffix: isSdk },
    waitForTaskToken,
    resourceType,
    resourceName,
  };
}

function timeoutMatchedByTaskFailed(state: JsonObject): boolean {
  return [state.Retry, state.Catch].some((entries) => {
    for (const entry of asArray(entries)) {
      const errors = isObject(entry) ? asArray(entry.ErrorEquals) : [];
      if (errors.includes('States.Timeout') || errors.includes('States.ALL')) return false;
      if (errors.includes('States.TaskFailed')) return true;
    }
    return false;
  });
}

function scaledRetry(retry: Json | undefined, timeScale: number): { Retry?: Json } {
  if (!Array.isArray(retry)) return {};
  return {
    Retry: retry.map((retrier) => {
      if (!isObject(retrier)) return retrier;
      const interval = typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1;
      return {
        ...retrier,
        IntervalSeconds: interval / timeScale,
        ...(typeof retrier.MaxDelaySeconds === 'number' && { MaxDelaySeconds: retrier.MaxDelaySeconds / timeScale }),
      };
    }),
  };
}

/** Whether the state itself (not its nested branches) reads `$$.Task.Token`. */
function mentionsTaskToken(state: JsonObject): boolean {
  const { Branches: _b, ItemProcessor: _p, Iterator: _i, ...own } = state;
  return JSON.stringify(own).includes('$$.Task.Token');
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
