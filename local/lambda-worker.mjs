// One Lambda execution environment in a worker thread: imports the function's bundle once (its
// cold start) and serves invocations sent by local/lambda.ts, several at a time, correlated by id.
// The host enforces timeouts; this side only invokes and reports, shaped like Lambda's answers.
// Plain JavaScript on purpose: it runs in a bare worker, without the TypeScript loader.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { codeDir, handler: handlerSetting, functionName, functionArn, memorySize } = workerData;

class InitError extends Error {
  constructor(errorType, message) {
    super(message);
    this.name = errorType;
  }
}

/** `dir/module.export.path` as the Node.js runtime reads it: the module is tried as .js, .mjs, .cjs. */
async function loadHandler() {
  const slash = handlerSetting.lastIndexOf('/') + 1;
  const dot = handlerSetting.indexOf('.', slash);
  if (dot === -1) throw new InitError('Runtime.MalformedHandlerName', `Bad handler ${handlerSetting}`);
  const modulePath = handlerSetting.slice(0, dot);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => path.join(codeDir, modulePath + ext)).find((candidate) => existsSync(candidate));
  if (!file) throw new InitError('Runtime.ImportModuleError', `Cannot find module '${modulePath}' in ${codeDir}`);
  let target = await import(pathToFileURL(file).href);
  for (const key of handlerSetting.slice(dot + 1).split('.')) target = target?.[key];
  if (typeof target !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${handlerSetting} is undefined or not exported`);
  }
  return target;
}

function toLambdaError(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

const handler = loadHandler();
handler.then(
  () => parentPort.postMessage({ type: 'init' }),
  (error) => parentPort.postMessage({ type: 'init', error: toLambdaError(error) }),
);

parentPort.on('message', async ({ id, event, deadline }) => {
  const context = {
    awsRequestId: id,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memorySize),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const fn = await handler;
    const result = await fn(event, context);
    // Lambda serializes the result as JSON; undefined becomes null.
    parentPort.postMessage({ type: 'result', id, payload: JSON.stringify(result ?? null) });
  } catch (error) {
    parentPort.postMessage({ type: 'result', id, error: toLambdaError(error) });
  }
});
