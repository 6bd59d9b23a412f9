/**
 * Where a Task's work goes locally: Lambda functions (by ARN or through `lambda:invoke`) and
 * service integrations, with their errors named as Step Functions names them so Retry and
 * Catch match as on AWS.
 */
import { randomUUID } from 'node:crypto';
import type { Json, LocalTask } from '../step-functions-definition';
import { runtimeError, StatesError } from './errors';
import { isObject, toJson } from './json';

export interface TaskTargetHandlers {
  invokeFunction: (functionNameOrArn: string, payload: unknown) => Promise<unknown>;
  sdkIntegrations?: Record<string, (params: unknown) => Promise<unknown>>;
  log: (line: string) => void;
}

export class TaskTargets {
  constructor(private readonly handlers: TaskTargetHandlers) {}

  async call(task: LocalTask, input: Json): Promise<Json> {
    const { target } = task;
    switch (target.kind) {
      case 'lambda-function':
        return toJson(await this.invoke(target.functionArn, input));
      case 'lambda-invoke': {
        const params = isObject(input) ? input : {};
        const functionName = params.FunctionName;
        if (typeof functionName !== 'string') throw runtimeError(`state ${task.name}: Parameters.FunctionName is required`);
        const payload = 'Payload' in params ? (params.Payload ?? null) : {};
        if (params.InvocationType === 'Event') {
          this.invoke(functionName, payload).catch((error: unknown) => {
            this.handlers.log(`sfn: async invoke of ${functionName} failed: ${(error as Error).name}`);
          });
          return lambdaInvokeResult(202, '');
        }
        return lambdaInvokeResult(200, toJson(await this.invoke(functionName, payload)));
      }
      case 'integration': {
        const handler = this.handlers.sdkIntegrations?.[target.key];
        if (!handler) throw runtimeError(`no local handler for ${target.key}`);
        try {
          const { $metadata: _metadata, ...response } = ((await handler(input)) ?? {}) as Record<string, unknown>;
          return toJson(response);
        } catch (error) {
          throw integrationError(error, target.errorPrefix, target.appendExceptionSuffix);
        }
      }
    }
  }

  private async invoke(functionName: string, payload: Json): Promise<unknown> {
    try {
      return await this.handlers.invokeFunction(functionName, payload);
    } catch (error) {
      throw functionError(error);
    }
  }
}

/** As Step Functions reports a function error: Error = errorType, Cause = the error document. */
function functionError(error: unknown): StatesError {
  const document = isObject(error as Json)
    ? (error as { errorType?: unknown; errorMessage?: unknown; trace?: unknown; name?: unknown; message?: unknown; stack?: unknown })
    : {};
  // The fields may hold any value a function threw; String() gives each one a text.
  const type: unknown = document.errorType ?? document.name ?? 'Lambda.Unknown';
  const message: unknown = document.errorMessage ?? document.message ?? '';
  const errorType = String(type);
  const errorMessage = String(message);
  const trace = Array.isArray(document.trace) ? document.trace : typeof document.stack === 'string' ? document.stack.split('\n') : [];
  return new StatesError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

function integrationError(error: unknown, prefix: string, appendExceptionSuffix: boolean): StatesError {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (name.includes('.')) return new StatesError(name, message);
  const suffix = appendExceptionSuffix && !name.endsWith('Exception') ? 'Exception' : '';
  return new StatesError(`${prefix}.${name}${suffix}`, message);
}

/** The `lambda:invoke` result shape, which ResultSelector paths such as `$.Payload` rely on. */
function lambdaInvokeResult(statusCode: number, payload: Json): Json {
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: { HttpStatusCode: statusCode },
    SdkResponseMetadata: { RequestId: randomUUID() },
    StatusCode: statusCode,
  };
}
