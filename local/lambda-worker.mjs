// One Lambda execution environment in a worker thread: imports the function's bundle once (its
// cold start) and serves invocations sent by local/lambda.ts, several at a time, correlated by id.
// The host enforces timeouts; this side only invokes and reports, shaped like Lambda's answers.
// Plain JavaScript on purpose: it runs in a bare worker, without the TypeScript loader.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { codeDir, handler: handlerSetting, functionName, functionArn, memorySize, fastForward } = workerData;

// The host's deadlines are real time, whatever time the function reads.
const realNow = Date.now;

/**
 * A fast-forward clock (local/clock.ts, whose virtualTimeAt this repeats): the function reads
 * virtual time from Date, so what it stores is dated in the period the local cloud runs through.
 */
function fastForwardDate(clock) {
  const fastRealMs = (clock.until - clock.from) / clock.scale;
  const virtualNow = () => {
    const realStart = clock.realStart[0];
    if (Number.isNaN(realStart)) return clock.from;
    const elapsed = realNow() - realStart;
    return elapsed <= fastRealMs ? clock.from + elapsed * clock.scale : clock.until + (elapsed - fastRealMs);
  };
  const RealDate = Date;
  class VirtualDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(virtualNow());
      else super(...args);
    }
    static now() {
      return virtualNow();
    }
  }
  globalThis.Date = VirtualDate;
}
if (fastForward) fastForwardDate(fastForward);

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
    getRemainingTimeInMillis: () => Math.max(0, deadline - realNow()),
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
