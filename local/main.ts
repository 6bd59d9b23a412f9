/**
 * `npm start`: runs the local cloud until Ctrl-C.
 *   --fresh     start with empty data (and a new admin key)
 *   --port N    the API's port (or LEADFLOW_PORT); default 3000
 * LEADFLOW_TIME_SCALE: workflow seconds per real second; default 1440 (a day passes in a minute).
 */
import { rmSync, writeFileSync } from 'node:fs';
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
  // A demo should show follow-ups and retention emails in minutes, not days.
  const timeScale = Number(process.env.LEADFLOW_TIME_SCALE ?? 1440);
  cloud = await startLocalCloud({ dataDir, fresh: values.fresh, apiPort: port, timeScale });
} catch (error) {
  console.error(`the local cloud did not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

// Where the CLI finds the control plane while this cloud runs (its port is chosen at start).
const controlUrlFile = path.join(dataDir, 'control-url');
writeFileSync(controlUrlFile, `${cloud.controlUrl}\n`);

const shownDataDir = path.relative(process.cwd(), dataDir) || '.';
console.log(`
leadflow local cloud is up
  API              ${cloud.apiUrl}
  Demo landing     ${cloud.siteUrl}
  Admin API key    ${cloud.adminKey}   (stored hashed; kept in ${path.join(shownDataDir, 'admin-key')})
  Mailbox          ${cloud.mailbox.uiUrl}   (every email the platform sends)
  SES events       ${cloud.controlUrl}/mailbox   (mark emails opened, clicked, bounced, complained)
  Dashboard        ${cloud.apiUrl}/dashboard
  API reference    ${cloud.apiUrl}/docs   (Swagger UI on ${cloud.apiUrl}/openapi.json)
  Executions       ${cloud.controlUrl}/executions   (running workflows and their current state)
  Time scale       ${cloud.timeScale}x   (a day of follow-ups passes in ${formatDay(cloud.timeScale)}; LEADFLOW_TIME_SCALE)
  Data             ${shownDataDir}/   (kept across restarts; npm start -- --fresh starts empty)

Try it:
  curl ${cloud.apiUrl}/health
  curl -d email=ada@example.com -d firstName=Ada ${cloud.apiUrl}/v1/forms/default/submissions
  curl -H 'Authorization: Bearer ${cloud.adminKey}' '${cloud.apiUrl}/v1/leads?email=ada@example.com'
  curl -H 'Authorization: Bearer ${cloud.adminKey}' -H 'content-type: application/json' \\
       -d '{"stage":"presentation"}' ${cloud.apiUrl}/v1/leads/<leadId>/stage

Ctrl-C stops everything.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second Ctrl-C: do not wait
    stopping = true;
    console.log('\nstopping the local cloud...');
    rmSync(controlUrlFile, { force: true });
    void cloud.stop().then(() => process.exit(0));
  });
}

function formatDay(timeScale: number): string {
  const seconds = 86_400 / timeScale;
  return seconds >= 3600
    ? `${(seconds / 3600).toFixed(1)} h`
    : seconds >= 60
      ? `${(seconds / 60).toFixed(1)} min`
      : `${seconds.toFixed(1)} s`;
}
