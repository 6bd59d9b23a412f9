/**
 * `npm start`: runs the local cloud until Ctrl-C.
 *   --fresh     start with empty data (and a new admin key)
 *   --port N    the API's port (or LEADFLOW_PORT); default 3000
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalCloud } from './cloud';
import { repoRoot } from './local-aws';

// The deployed functions run on Node.js 24; the SDK's notice about this machine's Node.js is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({ options: { fresh: { type: 'boolean' }, port: { type: 'string' } } });
const port = Number(values.port ?? process.env.LEADFLOW_PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`not a port: ${values.port ?? process.env.LEADFLOW_PORT}`);
  process.exit(2);
}

const dataDir = path.join(repoRoot, '.leadflow');
let cloud;
try {
  cloud = await startLocalCloud({ dataDir, fresh: values.fresh, apiPort: port });
} catch (error) {
  console.error(`the local cloud did not start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}

const shownDataDir = path.relative(process.cwd(), dataDir) || '.';
console.log(`
leadflow local cloud is up
  API              ${cloud.apiUrl}
  Demo landing     ${cloud.siteUrl}
  Admin API key    ${cloud.adminKey}   (stored hashed; kept in ${path.join(shownDataDir, 'admin-key')})
  Data             ${shownDataDir}/   (kept across restarts; npm start -- --fresh starts empty)

Try it:
  curl ${cloud.apiUrl}/health
  curl -d email=ada@example.com -d firstName=Ada ${cloud.apiUrl}/v1/forms/default/submissions
  curl -H 'Authorization: Bearer ${cloud.adminKey}' ${cloud.apiUrl}/v1/leads/<leadId>

Ctrl-C stops everything.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) process.exit(1); // a second Ctrl-C: do not wait
    stopping = true;
    console.log('\nstopping the local cloud...');
    await cloud.stop();
    process.exit(0);
  });
}
