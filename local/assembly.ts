/**
 * Reads the synthesized cloud assembly: the stack's template, with every value the local cloud
 * needs resolved to its local counterpart (table names, function ARNs, route targets). Each kind
 * of resource the local cloud runs gets a typed spec here; the runners never see CloudFormation.
 */
import type {
  AttributeDefinition,
  BillingMode,
  CreateTableCommandInput,
  GlobalSecondaryIndex,
  KeySchemaElement,
  LocalSecondaryIndex,
  ProvisionedThroughput,
  StreamViewType,
} from '@aws-sdk/client-dynamodb';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_ACCOUNT, LOCAL_REGION, localArn } from './local-aws';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
}

/** A template value that has no local counterpart (or a template the local cloud cannot run). */
export class UnresolvableError extends Error {
  override name = 'UnresolvableError';
}

interface Named {
  logicalId: string;
  /** The physical name the resource has locally. */
  name: string;
}

/**
 * What `Ref` and `Fn::GetAtt` give for a resource type. A type listed here can be referenced (by a
 * function's environment, say); whether the local cloud also runs it is up to cloud.ts.
 */
interface ResourceKind {
  /** Where the resource's explicit physical name is, if the type has one (a dotted path in Properties). */
  nameProperty?: string;
  ref: (resource: Named) => string;
  attributes: Record<string, (resource: Named) => string>;
}

const resourceKinds: Record<string, ResourceKind> = {
  'AWS::DynamoDB::Table': {
    nameProperty: 'TableName',
    ref: (r) => r.name,
    attributes: {
      Arn: (r) => localArn('dynamodb', `table/${r.name}`),
      StreamArn: (r) => localArn('dynamodb', `table/${r.name}/stream/local`),
    },
  },
  // An event source mapping's on-failure destination; records that reach it are logged locally.
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    ref: (r) => `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/${r.name}`,
    attributes: { Arn: (r) => localArn('sqs', r.name), QueueName: (r) => r.name },
  },
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    ref: (r) => r.name,
    attributes: { Arn: (r) => localArn('lambda', `function:${r.name}`) },
  },
  // API Gateway ids only link routes, integrations and their API within the template. Every API
  // is served on the local gateway's one port, whose URL is known once it listens: its endpoint
  // is a placeholder the local cloud replaces (withLocalApiUrl).
  'AWS::ApiGatewayV2::Api': { ref: (r) => r.logicalId, attributes: { ApiEndpoint: () => LOCAL_API_ENDPOINT } },
  'AWS::ApiGatewayV2::Integration': { ref: (r) => r.logicalId, attributes: {} },
  'AWS::ApiGatewayV2::Authorizer': { ref: (r) => r.logicalId, attributes: {} },
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    ref: (r) => localArn('states', `stateMachine:${r.name}`),
    attributes: { Arn: (r) => localArn('states', `stateMachine:${r.name}`), Name: (r) => r.name },
  },
  'AWS::SES::ConfigurationSet': { nameProperty: 'Name', ref: (r) => r.name, attributes: {} },
  'AWS::SES::Template': { nameProperty: 'Template.TemplateName', ref: (r) => r.name, attributes: {} },
  // Ref gives the secret's ARN (functions receive it in their environment and read the value through the local endpoint).
  'AWS::SecretsManager::Secret': {
    nameProperty: 'Name',
    ref: (r) => secretArn(r.name),
    attributes: { Id: (r) => secretArn(r.name) },
  },
};

/** What `Fn::GetAtt <HttpApi>.ApiEndpoint` resolves to until the local gateway listens. */
export const LOCAL_API_ENDPOINT = 'http://leadflow-local-api.invalid';

/** A function's environment with the local gateway's URL where the template names an HTTP API's endpoint. */
export function withLocalApiUrl(environment: Record<string, string>, apiUrl: string): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, value.replaceAll(LOCAL_API_ENDPOINT, apiUrl)]));
}

/** A secret's local ARN; AWS adds a random 6-character suffix to the name, here a fixed one. */
function secretArn(name: string): string {
  return localArn('secretsmanager', `secret:${name}-local`);
}

/** `{"Ref": "AWS::NoValue"}`: the property is left out. */
const NO_VALUE = Symbol('AWS::NoValue');

/** Resolves CloudFormation intrinsics to local values, or fails saying where and why. */
export class TemplateResolver {
  private readonly resources: Record<string, CfnResource>;
  private readonly pseudoParameters: Record<string, string>;

  constructor(
    readonly template: CfnTemplate,
    readonly stackName: string,
  ) {
    this.resources = template.Resources ?? {};
    this.pseudoParameters = {
      'AWS::Region': LOCAL_REGION,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stackName,
    };
  }

  /** Logical ids of the resources of one type, in template order. */
  logicalIdsOf(type: string): string[] {
    return Object.entries(this.resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([id]) => id);
  }

  resource(logicalId: string, where = logicalId): CfnResource {
    const resource = this.resources[logicalId];
    if (!resource) throw new UnresolvableError(`${where}: the template has no resource ${logicalId}`);
    return resource;
  }

  /**
   * The declared physical name, or `<stack>-<logicalId>`. CloudFormation would add a random
   * suffix; a stable name keeps persisted local data usable across restarts.
   */
  localName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const nameProperty = resourceKinds[resource.Type]?.nameProperty;
    const declared = nameProperty
      ?.split('.')
      .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], resource.Properties);
    return declared === undefined
      ? `${this.stackName}-${logicalId}`
      : this.resolveString(declared, `${logicalId}.Properties.${nameProperty}`);
  }

  resolve(value: unknown, where: string): unknown {
    const resolved = this.resolveValue(value, where);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  resolveString(value: unknown, where: string): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new UnresolvableError(`${where}: expected a string, got ${JSON.stringify(resolved)}`);
  }

  private resolveValue(value: unknown, where: string): unknown {
    if (Array.isArray(value)) {
      return value.map((item, index) => this.resolveValue(item, `${where}[${index}]`)).filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(first[0], first[1], where);
    }
    const result: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.resolveValue(item, `${where}.${key}`);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }

  private intrinsic(name: string, args: unknown, where: string): unknown {
    const malformed = () => new UnresolvableError(`${where}: malformed ${name} ${JSON.stringify(args)}`);
    switch (name) {
      case 'Ref':
        if (typeof args !== 'string') throw malformed();
        return args === 'AWS::NoValue' ? NO_VALUE : this.ref(args, where);
      case 'Fn::GetAtt': {
        const [id, attribute] = typeof args === 'string' ? splitOnce(args, '.') : (args as unknown[]);
        if (typeof id !== 'string' || typeof attribute !== 'string') throw malformed();
        return this.getAtt(id, attribute, where);
      }
      case 'Fn::Join': {
        const [delimiter, list] = listOf(args);
        const items = this.resolve(list, where);
        if (typeof delimiter !== 'string' || !Array.isArray(items)) throw malformed();
        return items.map((item, index) => this.resolveString(item, `${where}[${index}]`)).join(delimiter);
      }
      case 'Fn::Sub': {
        const [text, variables = {}] = typeof args === 'string' ? [args] : listOf(args);
        if (typeof text !== 'string' || typeof variables !== 'object' || variables === null) throw malformed();
        return this.sub(text, variables as Record<string, unknown>, where);
      }
      case 'Fn::Select': {
        const [index, list] = listOf(args);
        const items = this.resolve(list, where);
        const position = Number(this.resolve(index, where));
        if (!Array.isArray(items) || !Number.isInteger(position) || position < 0 || position >= items.length) {
          throw malformed();
        }
        return items[position];
      }
      case 'Fn::Split': {
        const [delimiter, source] = listOf(args);
        if (typeof delimiter !== 'string') throw malformed();
        return this.resolveString(source, where).split(delimiter);
      }
      default:
        throw new UnresolvableError(`${where}: ${name} is not supported by the local cloud (${JSON.stringify(args)})`);
    }
  }

  private ref(name: string, where: string): string {
    const pseudo = this.pseudoParameters[name];
    if (pseudo !== undefined) return pseudo;
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      // An SSM-typed parameter's default is a parameter path, not a value.
      if (parameter.Default === undefined || parameter.Type?.startsWith('AWS::SSM::')) {
        throw new UnresolvableError(`${where}: parameter ${name} has no local value`);
      }
      return this.resolveString(parameter.Default, `Parameters.${name}.Default`);
    }
    const kind = this.kindOf(name, where);
    return kind.ref({ logicalId: name, name: this.localName(name) });
  }

  private getAtt(logicalId: string, attribute: string, where: string): string {
    const kind = this.kindOf(logicalId, where);
    const read = kind.attributes[attribute];
    if (!read) {
      const type = this.resource(logicalId).Type;
      throw new UnresolvableError(`${where}: ${type} attribute ${attribute} (of ${logicalId}) has no local value`);
    }
    return read({ logicalId, name: this.localName(logicalId) });
  }

  private sub(text: string, variables: Record<string, unknown>, where: string): string {
    return text.replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (Object.hasOwn(variables, name)) return this.resolveString(variables[name], `${where}.${name}`);
      const [id, attribute] = splitOnce(name, '.');
      return attribute === undefined ? this.ref(id, where) : this.getAtt(id, attribute, where);
    });
  }

  private kindOf(logicalId: string, where: string): ResourceKind {
    const type = this.resource(logicalId, where).Type;
    const kind = resourceKinds[type];
    if (!kind) throw new UnresolvableError(`${where}: ${type} (${logicalId}) has no local counterpart`);
    return kind;
  }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** An intrinsic's argument list; anything else has no arguments. */
function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export interface TableSpec {
  logicalId: string;
  name: string;
  /** The CreateTable request for the declared keys, indexes, billing and stream. */
  definition: CreateTableCommandInput;
  ttlAttribute: string | undefined;
}

export interface FunctionSpec {
  logicalId: string;
  /** The construct path without the stack, e.g. `Capture/CaptureLead/Function`, when the template records it. */
  constructPath: string | undefined;
  name: string;
  arn: string;
  runtime: string;
  /** The bundle's directory in the cloud assembly. */
  codeDir: string;
  /** `module.export` as in the template, e.g. `index.handler`. */
  handler: string;
  timeoutSeconds: number;
  memorySize: number;
  environment: Record<string, string>;
}

export interface RouteSpec {
  /** `METHOD /path` or `$default`, exactly as declared. */
  routeKey: string;
  functionLogicalId: string;
  /** The Lambda authorizer in front of the route (AuthorizationType CUSTOM), if any. */
  authorizer?: AuthorizerSpec;
}

/** A Lambda REQUEST authorizer of an HTTP API: payload format 2.0, simple (`isAuthorized`) responses. */
export interface AuthorizerSpec {
  logicalId: string;
  name: string;
  functionLogicalId: string;
  /** `$request.header.X`, `$request.querystring.x`, `$context.x`, `$stageVariables.x`: every one must be present, and together they key the cache. */
  identitySource: string[];
  /** 0: results are not cached. */
  resultTtlSeconds: number;
}

/** An HTTP API's CORS configuration (AWS::ApiGatewayV2::Api CorsConfiguration). */
export interface CorsSpec {
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number | undefined;
  allowCredentials: boolean;
}

/** The `$default` stage's default route throttle. */
export interface ThrottleSpec {
  rateLimit: number;
  burstLimit: number;
}

export interface HttpApiSpec {
  logicalId: string;
  routes: RouteSpec[];
  cors: CorsSpec | undefined;
  throttle: ThrottleSpec | undefined;
}

export interface StateMachineSpec {
  logicalId: string;
  /** The construct's own id (`LeadLifecycle`), from the template's construct path. */
  constructId: string;
  name: string;
  arn: string;
  /** The ASL with every intrinsic resolved (function ARNs are local ARNs). */
  definition: string;
}

/** A DynamoDB stream feeding a function. */
export interface StreamMappingSpec {
  logicalId: string;
  functionLogicalId: string;
  tableLogicalId: string;
  filterPatterns: string[];
  batchSize: number;
  /** -1: until the record expires, as on AWS. */
  maxRetries: number;
  reportBatchItemFailures: boolean;
}

/** An EventBridge schedule invoking functions. */
export interface ScheduleSpec {
  logicalId: string;
  scheduleExpression: string;
  targets: Array<{ functionLogicalId: string; input: unknown }>;
}

/** An EventBridge rule with an event pattern (on the default bus) and the functions it targets. */
export interface EventRuleSpec {
  logicalId: string;
  /** The rule's `EventPattern`, as EventBridge matches it (local/event-pattern.ts). */
  eventPattern: Record<string, unknown>;
  targets: Array<{
    functionLogicalId: string;
    /** The target's RetryPolicy (EventBridge's default: 185). */
    maxRetries: number;
    /** The target's dead-letter queue's name, if it has one. */
    deadLetterQueue: string | undefined;
  }>;
}

/** An `AWS::SES::ConfigurationSetEventDestination` publishing to EventBridge. */
export interface SesEventDestinationSpec {
  logicalId: string;
  configurationSetName: string;
  /** SES's event types, lower case as in the template (`send`, `delivery`, `bounce`...). */
  matchingEventTypes: string[];
}

/** An `AWS::SES::Template`, in the shape SES's CreateEmailTemplate wants. */
export interface EmailTemplateSpec {
  TemplateName: string;
  SubjectPart: string;
  HtmlPart?: string;
  TextPart?: string;
}

/** An `AWS::SecretsManager::Secret`: a fixed SecretString, or the rules to generate one. */
export interface SecretSpec {
  logicalId: string;
  name: string;
  arn: string;
  description: string | undefined;
  secretString: string | undefined;
  generate: {
    PasswordLength?: number;
    ExcludeCharacters?: string;
    ExcludeLowercase?: boolean;
    ExcludeUppercase?: boolean;
    ExcludeNumbers?: boolean;
    ExcludePunctuation?: boolean;
    IncludeSpace?: boolean;
    RequireEachIncludedType?: boolean;
    SecretStringTemplate?: string;
    GenerateStringKey?: string;
  };
}

export interface Assembly {
  dir: string;
  stackName: string;
  tables: TableSpec[];
  functions: FunctionSpec[];
  httpApis: HttpApiSpec[];
  stateMachines: StateMachineSpec[];
  streamMappings: StreamMappingSpec[];
  schedules: ScheduleSpec[];
  eventRules: EventRuleSpec[];
  emailTemplates: EmailTemplateSpec[];
  sesEventDestinations: SesEventDestinationSpec[];
  secrets: SecretSpec[];
}

/** Reads a stack from a cloud assembly directory (cdk.out) through its manifest. */
export function readAssembly(dir: string, stackName: string): Assembly {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const artifact = manifest.artifacts?.[stackName];
  const templateFile = artifact?.type === 'aws:cloudformation:stack' ? artifact.properties?.templateFile : undefined;
  if (!templateFile) throw new UnresolvableError(`the cloud assembly in ${dir} has no stack ${stackName}`);
  const template = JSON.parse(readFileSync(path.join(dir, templateFile), 'utf8')) as CfnTemplate;
  return parseTemplate(template, { stackName, assemblyDir: dir });
}

export function parseTemplate(template: CfnTemplate, options: { stackName: string; assemblyDir: string }): Assembly {
  const resolver = new TemplateResolver(template, options.stackName);
  const functions = resolver.logicalIdsOf('AWS::Lambda::Function').map((id) => functionSpec(resolver, id, options.assemblyDir));
  return {
    dir: options.assemblyDir,
    stackName: options.stackName,
    tables: resolver.logicalIdsOf('AWS::DynamoDB::Table').map((id) => tableSpec(resolver, id)),
    functions,
    httpApis: resolver.logicalIdsOf('AWS::ApiGatewayV2::Api').map((id) => httpApiSpec(resolver, id, functions)),
    stateMachines: resolver.logicalIdsOf('AWS::StepFunctions::StateMachine').map((id) => stateMachineSpec(resolver, id)),
    streamMappings: resolver.logicalIdsOf('AWS::Lambda::EventSourceMapping').map((id) => streamMappingSpec(resolver, id, functions)),
    schedules: resolver.logicalIdsOf('AWS::Events::Rule').flatMap((id) => scheduleSpec(resolver, id, functions)),
    eventRules: resolver.logicalIdsOf('AWS::Events::Rule').flatMap((id) => eventRuleSpec(resolver, id, functions)),
    emailTemplates: resolver.logicalIdsOf('AWS::SES::Template').map((id) => emailTemplateSpec(resolver, id)),
    sesEventDestinations: resolver
      .logicalIdsOf('AWS::SES::ConfigurationSetEventDestination')
      .flatMap((id) => sesEventDestinationSpec(resolver, id)),
    secrets: resolver.logicalIdsOf('AWS::SecretsManager::Secret').map((id) => secretSpec(resolver, id)),
  };
}

function stateMachineSpec(resolver: TemplateResolver, logicalId: string): StateMachineSpec {
  const resource = resolver.resource(logicalId);
  const props = resource.Properties ?? {};
  const constructPath = resource.Metadata?.['aws:cdk:path'];
  if (props.DefinitionS3Location) throw new UnresolvableError(`${logicalId}: definitions in S3 are not supported locally`);
  const definition = props.Definition
    ? JSON.stringify(resolver.resolve(props.Definition, `${logicalId}.Properties.Definition`))
    : resolver.resolveString(props.DefinitionString, `${logicalId}.Properties.DefinitionString`);
  return {
    logicalId,
    constructId: typeof constructPath === 'string' ? (constructPath.split('/').at(-2) ?? logicalId) : logicalId,
    name: resolver.localName(logicalId),
    arn: resolver.resolveString({ Ref: logicalId }, logicalId),
    definition,
  };
}

function functionOf(functions: FunctionSpec[], reference: string, where: string): string {
  const fn = functions.find((candidate) => candidate.arn === reference || candidate.name === reference);
  if (!fn) throw new UnresolvableError(`${where}: ${reference} is not a function of this stack`);
  return fn.logicalId;
}

function streamMappingSpec(resolver: TemplateResolver, logicalId: string, functions: FunctionSpec[]): StreamMappingSpec {
  const where = `${logicalId}.Properties`;
  const raw = resolver.resource(logicalId).Properties ?? {};
  const source = JSON.stringify(raw.EventSourceArn ?? '');
  const tableLogicalId = /"Fn::GetAtt":\["([^"]+)","StreamArn"\]/.exec(source)?.[1];
  if (!tableLogicalId) throw new UnresolvableError(`${where}.EventSourceArn: only DynamoDB streams of this stack run locally`);
  const props = resolver.resolve(raw, where) as {
    FunctionName: string;
    FilterCriteria?: { Filters?: Array<{ Pattern: string }> };
    BatchSize?: number;
    MaximumRetryAttempts?: number;
    FunctionResponseTypes?: string[];
  };
  return {
    logicalId,
    functionLogicalId: functionOf(functions, props.FunctionName, `${where}.FunctionName`),
    tableLogicalId,
    filterPatterns: (props.FilterCriteria?.Filters ?? []).map((filter) => filter.Pattern),
    batchSize: props.BatchSize ?? 100,
    maxRetries: props.MaximumRetryAttempts ?? -1,
    reportBatchItemFailures: props.FunctionResponseTypes?.includes('ReportBatchItemFailures') ?? false,
  };
}

function scheduleSpec(resolver: TemplateResolver, logicalId: string, functions: FunctionSpec[]): ScheduleSpec[] {
  const where = `${logicalId}.Properties`;
  const props = resolver.resolve(resolver.resource(logicalId).Properties, where) as {
    ScheduleExpression?: string;
    State?: string;
    Targets?: Array<{ Arn: string; Input?: string }>;
  };
  // Event-pattern rules have no schedule; a disabled rule does not fire.
  if (!props.ScheduleExpression || props.State === 'DISABLED') return [];
  return [
    {
      logicalId,
      scheduleExpression: props.ScheduleExpression,
      targets: (props.Targets ?? []).map((target, index) => ({
        functionLogicalId: functionOf(functions, target.Arn, `${where}.Targets[${index}].Arn`),
        input: target.Input === undefined ? scheduledEventFor(logicalId) : (JSON.parse(target.Input) as unknown),
      })),
    },
  ];
}

function eventRuleSpec(resolver: TemplateResolver, logicalId: string, functions: FunctionSpec[]): EventRuleSpec[] {
  const where = `${logicalId}.Properties`;
  const props = resolver.resolve(resolver.resource(logicalId).Properties, where) as {
    EventPattern?: Record<string, unknown>;
    EventBusName?: string;
    State?: string;
    Targets?: Array<{ Arn: string; RetryPolicy?: { MaximumRetryAttempts?: number }; DeadLetterConfig?: { Arn?: string } }>;
  };
  if (!props.EventPattern || props.State === 'DISABLED') return [];
  if (props.EventBusName !== undefined && props.EventBusName !== 'default') {
    throw new UnresolvableError(`${where}.EventBusName: only rules on the default bus run locally`);
  }
  return [
    {
      logicalId,
      eventPattern: props.EventPattern,
      targets: (props.Targets ?? []).map((target, index) => ({
        functionLogicalId: functionOf(functions, target.Arn, `${where}.Targets[${index}].Arn`),
        maxRetries: target.RetryPolicy?.MaximumRetryAttempts ?? 185,
        deadLetterQueue: target.DeadLetterConfig?.Arn?.split(':').at(-1),
      })),
    },
  ];
}

function sesEventDestinationSpec(resolver: TemplateResolver, logicalId: string): SesEventDestinationSpec[] {
  const props = resolver.resolve(resolver.resource(logicalId).Properties, `${logicalId}.Properties`) as {
    ConfigurationSetName: string;
    EventDestination: { Enabled?: boolean; MatchingEventTypes?: string[]; EventBridgeDestination?: { EventBusArn?: string } };
  };
  const destination = props.EventDestination;
  // Only EventBridge destinations are emulated (SNS, Firehose, CloudWatch are not part of the app).
  if (destination.Enabled === false || !destination.EventBridgeDestination) return [];
  return [
    {
      logicalId,
      configurationSetName: props.ConfigurationSetName,
      matchingEventTypes: (destination.MatchingEventTypes ?? []).map((type) => type.toLowerCase()),
    },
  ];
}

/** The event EventBridge sends a scheduled target when the rule gives no Input. */
function scheduledEventFor(logicalId: string): unknown {
  return {
    version: '0',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    region: LOCAL_REGION,
    resources: [localArn('events', `rule/${logicalId}`)],
    detail: {},
  };
}

function secretSpec(resolver: TemplateResolver, logicalId: string): SecretSpec {
  const props = (resolver.resolve(resolver.resource(logicalId).Properties, `${logicalId}.Properties`) ?? {}) as {
    Description?: string;
    SecretString?: string;
    GenerateSecretString?: SecretSpec['generate'];
  };
  const name = resolver.localName(logicalId);
  return {
    logicalId,
    name,
    arn: secretArn(name),
    description: props.Description,
    secretString: props.SecretString,
    generate: props.GenerateSecretString ?? {},
  };
}

function emailTemplateSpec(resolver: TemplateResolver, logicalId: string): EmailTemplateSpec {
  const props = resolver.resolve(resolver.resource(logicalId).Properties, `${logicalId}.Properties`) as {
    Template: { SubjectPart: string; HtmlPart?: string; TextPart?: string };
  };
  return { TemplateName: resolver.localName(logicalId), ...props.Template };
}

/** The CloudFormation table properties that shape a table (the SDK's types match their names). */
interface CfnTableProperties {
  KeySchema?: KeySchemaElement[];
  AttributeDefinitions?: AttributeDefinition[];
  BillingMode?: BillingMode;
  ProvisionedThroughput?: ProvisionedThroughput;
  GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
  LocalSecondaryIndexes?: LocalSecondaryIndex[];
  StreamSpecification?: { StreamViewType?: StreamViewType };
  TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
}

function tableSpec(resolver: TemplateResolver, logicalId: string): TableSpec {
  const props = (resolver.resolve(resolver.resource(logicalId).Properties, `${logicalId}.Properties`) ?? {}) as CfnTableProperties;
  const name = resolver.localName(logicalId);
  // Only the request's own members: CloudFormation adds some (ContributorInsights...) the API does not take.
  // Local secondary indexes too: the same members, less the throughput.
  const index = ({ IndexName, KeySchema, Projection, ProvisionedThroughput }: GlobalSecondaryIndex) => ({
    IndexName,
    KeySchema,
    Projection,
    ProvisionedThroughput,
  });
  return {
    logicalId,
    name,
    definition: {
      TableName: name,
      KeySchema: props.KeySchema,
      AttributeDefinitions: props.AttributeDefinitions,
      BillingMode: props.BillingMode ?? 'PROVISIONED',
      ProvisionedThroughput: props.ProvisionedThroughput,
      GlobalSecondaryIndexes: props.GlobalSecondaryIndexes?.map(index),
      LocalSecondaryIndexes: props.LocalSecondaryIndexes?.map(index),
      StreamSpecification: props.StreamSpecification
        ? { StreamEnabled: true, StreamViewType: props.StreamSpecification.StreamViewType }
        : undefined,
    },
    ttlAttribute: props.TimeToLiveSpecification?.Enabled ? props.TimeToLiveSpecification.AttributeName : undefined,
  };
}

function functionSpec(resolver: TemplateResolver, logicalId: string, assemblyDir: string): FunctionSpec {
  const resource = resolver.resource(logicalId);
  const props = resource.Properties ?? {};
  const where = `${logicalId}.Properties`;
  const runtime = resolver.resolveString(props.Runtime, `${where}.Runtime`);
  if (!runtime.startsWith('nodejs')) {
    throw new UnresolvableError(`${logicalId}: runtime ${runtime} cannot run in the local cloud (Node.js only)`);
  }
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') {
    throw new UnresolvableError(`${logicalId}: no bundle in the assembly (synthesize with asset metadata enabled)`);
  }
  const variables = (resolver.resolve(props.Environment, `${where}.Environment`) as { Variables?: Record<string, unknown> } | undefined)
    ?.Variables;
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables ?? {})) {
    environment[name] = resolver.resolveString(value, `${where}.Environment.Variables.${name}`);
  }
  const constructPath = resource.Metadata?.['aws:cdk:path'];
  const name = resolver.localName(logicalId);
  return {
    logicalId,
    constructPath:
      typeof constructPath === 'string'
        ? constructPath
            .split('/')
            .slice(1)
            .filter((part) => part !== 'Resource')
            .join('/')
        : undefined,
    name,
    arn: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] }, logicalId),
    runtime,
    codeDir: path.resolve(assemblyDir, assetPath),
    handler: resolver.resolveString(props.Handler, `${where}.Handler`),
    // CloudFormation's defaults.
    timeoutSeconds: Number(resolver.resolve(props.Timeout, `${where}.Timeout`) ?? 3),
    memorySize: Number(resolver.resolve(props.MemorySize, `${where}.MemorySize`) ?? 128),
    environment,
  };
}

function httpApiSpec(resolver: TemplateResolver, apiId: string, functions: FunctionSpec[]): HttpApiSpec {
  const api = resolver.resource(apiId).Properties ?? {};
  if (api.ProtocolType !== 'HTTP') throw new UnresolvableError(`${apiId}: only HTTP APIs run locally (got ${String(api.ProtocolType)})`);
  const apiRef = resolver.resolve({ Ref: apiId }, apiId);
  const ofThisApi = (id: string) => resolver.resolve(resolver.resource(id).Properties?.ApiId, `${id}.Properties.ApiId`) === apiRef;

  const authorizers = new Map<string, AuthorizerSpec>();
  const routes: RouteSpec[] = [];
  for (const routeId of resolver.logicalIdsOf('AWS::ApiGatewayV2::Route').filter(ofThisApi)) {
    const where = `${routeId}.Properties`;
    const route = resolver.resource(routeId).Properties ?? {};
    const routeKey = resolver.resolveString(route.RouteKey, `${where}.RouteKey`);
    const authorization: unknown = resolver.resolve(route.AuthorizationType, `${where}.AuthorizationType`) ?? 'NONE';
    let authorizer: AuthorizerSpec | undefined;
    if (authorization === 'CUSTOM') {
      const authorizerId = resolver.resolveString(route.AuthorizerId, `${where}.AuthorizerId`);
      authorizer = authorizers.get(authorizerId) ?? authorizerSpec(resolver, authorizerId, functions);
      authorizers.set(authorizerId, authorizer);
    } else if (authorization !== 'NONE') {
      throw new UnresolvableError(`${routeId} (${routeKey}): authorization type ${String(authorization)} is not emulated locally`);
    }
    const target = resolver.resolveString(route.Target, `${where}.Target`);
    const integrationId = /^integrations\/(.+)$/.exec(target)?.[1];
    if (!integrationId) throw new UnresolvableError(`${routeId} (${routeKey}): unexpected target ${target}`);
    routes.push({
      routeKey,
      functionLogicalId: integrationFunction(resolver, integrationId, functions, routeKey),
      ...(authorizer && { authorizer }),
    });
  }
  const stages = resolver.logicalIdsOf('AWS::ApiGatewayV2::Stage').filter(ofThisApi);
  return {
    logicalId: apiId,
    routes,
    cors: api.CorsConfiguration ? corsSpec(resolver.resolve(api.CorsConfiguration, `${apiId}.Properties.CorsConfiguration`)) : undefined,
    throttle: throttleSpec(resolver, stages),
  };
}

function authorizerSpec(resolver: TemplateResolver, logicalId: string, functions: FunctionSpec[]): AuthorizerSpec {
  const where = `${logicalId}.Properties`;
  const props = (resolver.resolve(resolver.resource(logicalId).Properties, where) ?? {}) as {
    AuthorizerType?: string;
    AuthorizerPayloadFormatVersion?: string;
    EnableSimpleResponses?: boolean;
    AuthorizerUri?: string;
    IdentitySource?: string[];
    AuthorizerResultTtlInSeconds?: number;
    Name?: string;
  };
  if (props.AuthorizerType !== 'REQUEST' || props.AuthorizerPayloadFormatVersion !== '2.0' || props.EnableSimpleResponses !== true) {
    throw new UnresolvableError(`${logicalId}: only Lambda REQUEST authorizers with payload format 2.0 and simple responses run locally`);
  }
  // arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations
  const functionArn = /:lambda:path\/[^/]+\/functions\/(.+)\/invocations$/.exec(props.AuthorizerUri ?? '')?.[1];
  if (!functionArn) throw new UnresolvableError(`${where}.AuthorizerUri: not a Lambda invocation URI (${String(props.AuthorizerUri)})`);
  return {
    logicalId,
    name: props.Name ?? logicalId,
    functionLogicalId: functionOf(functions, functionArn, `${where}.AuthorizerUri`),
    identitySource: props.IdentitySource ?? [],
    // CloudFormation's default when caching is not configured.
    resultTtlSeconds: props.AuthorizerResultTtlInSeconds ?? 0,
  };
}

function corsSpec(value: unknown): CorsSpec {
  const cors = (value ?? {}) as {
    AllowOrigins?: string[];
    AllowMethods?: string[];
    AllowHeaders?: string[];
    ExposeHeaders?: string[];
    MaxAge?: number;
    AllowCredentials?: boolean;
  };
  return {
    allowOrigins: cors.AllowOrigins ?? [],
    allowMethods: cors.AllowMethods ?? [],
    allowHeaders: cors.AllowHeaders ?? [],
    exposeHeaders: cors.ExposeHeaders ?? [],
    maxAgeSeconds: cors.MaxAge,
    allowCredentials: cors.AllowCredentials ?? false,
  };
}

/** The `$default` stage's throttle (the one stage the local cloud serves). */
function throttleSpec(resolver: TemplateResolver, stageIds: string[]): ThrottleSpec | undefined {
  for (const stageId of stageIds) {
    const where = `${stageId}.Properties`;
    // Only what the local cloud runs: the access log's destination (a log group) has no local counterpart.
    const raw = resolver.resource(stageId).Properties ?? {};
    const stage = {
      StageName: resolver.resolve(raw.StageName, `${where}.StageName`),
      DefaultRouteSettings: resolver.resolve(raw.DefaultRouteSettings, `${where}.DefaultRouteSettings`) as
        { ThrottlingRateLimit?: number; ThrottlingBurstLimit?: number } | undefined,
      RouteSettings: resolver.resolve(raw.RouteSettings, `${where}.RouteSettings`),
    };
    if (stage.StageName !== '$default') continue;
    if (stage.RouteSettings !== undefined)
      throw new UnresolvableError(`${where}.RouteSettings: per-route settings are not emulated locally`);
    const { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit } = stage.DefaultRouteSettings ?? {};
    if (rateLimit === undefined && burstLimit === undefined) return undefined;
    if (rateLimit === undefined || burstLimit === undefined) {
      throw new UnresolvableError(`${where}.DefaultRouteSettings: set both ThrottlingRateLimit and ThrottlingBurstLimit to run locally`);
    }
    return { rateLimit, burstLimit };
  }
  return undefined;
}

function integrationFunction(resolver: TemplateResolver, integrationId: string, functions: FunctionSpec[], routeKey: string): string {
  const where = `${integrationId}.Properties`;
  const integration = resolver.resource(integrationId, routeKey).Properties ?? {};
  const type = resolver.resolve(integration.IntegrationType, `${where}.IntegrationType`);
  const format = resolver.resolve(integration.PayloadFormatVersion, `${where}.PayloadFormatVersion`);
  if (type !== 'AWS_PROXY' || format !== '2.0') {
    throw new UnresolvableError(`${integrationId} (${routeKey}): only Lambda proxy integrations with payload format 2.0 run locally`);
  }
  const uri = resolver.resolveString(integration.IntegrationUri, `${where}.IntegrationUri`);
  const target = functions.find((fn) => fn.arn === uri);
  if (!target) throw new UnresolvableError(`${integrationId} (${routeKey}): ${uri} is not a function of this stack`);
  return target.logicalId;
}
