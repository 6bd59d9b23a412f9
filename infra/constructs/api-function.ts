import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { Charset, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface LeadflowFunctionProps {
  /** File name in functions/, without extension (kebab-case, e.g. `capture-lead`). */
  entry: string;
  description: string;
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  /**
   * Packages shipped beside the bundle instead of in it (copied from node_modules; they must have
   * no dependencies): for code the function loads only on some requests, keeping cold starts lean.
   */
  shippedPackages?: string[];
  /**
   * esbuild `define`: identifiers replaced by values (JSON literals) at bundling, for configuration
   * that belongs in the code rather than the 4 KB environment. A new value makes a new bundle.
   */
  define?: Record<string, string>;
  /** Commands run after esbuild, in the bundle's directory: files the function ships beside its code. */
  afterBundling?: (inputDir: string, outputDir: string) => string[];
}

/**
 * A Lambda function from functions/<entry>.ts with the project's defaults: the newest Node.js
 * runtime, arm64, a minified ESM bundle built by the local esbuild (never Docker) that uses the
 * runtime's AWS SDK v3, its own log group, a role with no managed policies, and X-Ray active
 * tracing (Lambda records each invocation's segment; no tracing SDK is bundled).
 */
export class LeadflowFunction extends Construct {
  readonly fn: NodejsFunction;
  /** The file in functions/ it runs (kebab-case, no extension). */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: LeadflowFunctionProps) {
    super(scope, id);
    this.entry = props.entry;
    const logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(projectRoot, 'functions', `${props.entry}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role,
      logGroup,
      tracing: Tracing.ACTIVE,
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_LOG_LEVEL: logLevelOf(this),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        // Messages with non-ASCII characters stay as they are instead of growing into \u escapes.
        charset: Charset.UTF8,
        minify: true,
        sourceMap: false,
        target: 'node24',
        mainFields: ['module', 'main'],
        // The runtime ships AWS SDK v3: leaving it out keeps bundles small and cold starts short.
        bundleAwsSDK: false,
        externalModules: ['@aws-sdk/*', ...(props.shippedPackages ?? [])],
        // Some bundled CommonJS dependencies call require(); ESM output needs it defined.
        banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
        metafile: false,
        ...(props.define && { define: props.define }),
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // The shipped scoring rules travel as a file, read only before any rules are published.
          afterBundling: (inputDir, outputDir) => [
            `cp "${path.join(inputDir, 'core', 'scoring', 'default-rules.json')}" "${path.join(outputDir, 'default-rules.json')}"`,
            ...(props.shippedPackages ?? []).flatMap((name) => [
              `mkdir -p "${path.dirname(path.join(outputDir, 'node_modules', name))}"`,
              `cp -r "${path.join(inputDir, 'node_modules', name)}" "${path.join(outputDir, 'node_modules', name)}"`,
            ]),
            ...(props.afterBundling?.(inputDir, outputDir) ?? []),
          ],
        },
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords only accept Resource "*".',
    });
  }
}

const logLevels = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

/** The functions' log level: CDK context `logLevel` (DEBUG, INFO, WARN, ERROR), INFO by default. */
function logLevelOf(scope: Construct): string {
  const level = String(scope.node.tryGetContext('logLevel') ?? 'INFO').toUpperCase();
  if (!logLevels.includes(level)) throw new Error(`logLevel must be one of ${logLevels.join(', ')} (got ${level})`);
  return level;
}
