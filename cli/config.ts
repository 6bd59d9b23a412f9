import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CliContext } from './context';
import { UsageError } from './errors';

/** Where `npm start` serves the API unless told another port. */
export const DEFAULT_URL = 'http://127.0.0.1:3000';

/**
 * `~/.leadflow/config.json` (or `$LEADFLOW_CONFIG`):
 * `{"defaultProfile": "local", "profiles": {"local": {"url": "...", "key": "...", "controlUrl": "..."}}}`.
 */
export interface Profile {
  url?: string;
  key?: string;
  controlUrl?: string;
}

export interface Connection {
  url: string;
  key: string | undefined;
  /** Where the key came from, for the message of a 401. */
  keySource: 'flag' | 'environment' | 'profile' | 'local admin key' | 'none';
  controlUrl: string | undefined;
}

export interface ConnectionFlags {
  url?: string | undefined;
  key?: string | undefined;
  profile?: string | undefined;
  controlUrl?: string | undefined;
}

/** Each setting from the flag, else the environment, else the selected profile, else its default. */
export function resolveConnection(flags: ConnectionFlags, context: CliContext): Connection {
  // An empty variable is an unset one (`LEADFLOW_URL= leadflow ...`).
  const env = Object.fromEntries(Object.entries(context.env).filter(([, value]) => value !== '')) as Record<string, string | undefined>;
  const profile = selectProfile(
    flags.profile ?? env.LEADFLOW_PROFILE,
    env.LEADFLOW_CONFIG ?? path.join(context.homeDir, '.leadflow', 'config.json'),
  );
  const url = trimSlash(flags.url ?? env.LEADFLOW_URL ?? profile.url ?? DEFAULT_URL);
  const controlUrl = flags.controlUrl ?? env.LEADFLOW_CONTROL_URL ?? profile.controlUrl ?? localFile(url, context, 'control-url');
  const given: Array<[string | undefined, Connection['keySource']]> = [
    [flags.key, 'flag'],
    [env.LEADFLOW_API_KEY, 'environment'],
    [profile.key, 'profile'],
  ];
  const [key, keySource] = given.find(([value]) => value !== undefined) ?? [localFile(url, context, 'admin-key'), 'local admin key'];
  return {
    url,
    key,
    keySource: key === undefined ? 'none' : keySource,
    controlUrl: controlUrl === undefined ? undefined : trimSlash(controlUrl).replace(/\/executions$/, ''),
  };
}

function selectProfile(requested: string | undefined, file: string): Profile {
  if (!existsSync(file)) {
    if (requested) throw new UsageError(`no profile ${requested}: there is no profile file ${file}`);
    return {};
  }
  const config = readConfig(file);
  const name = requested ?? config.defaultProfile;
  if (name === undefined) return {};
  const profile = config.profiles[name];
  if (!profile) {
    const known = Object.keys(config.profiles);
    throw new UsageError(`no profile ${name} in ${file} (profiles: ${known.length > 0 ? known.join(', ') : 'none'})`);
  }
  return profile;
}

function readConfig(file: string): { defaultProfile?: string; profiles: Record<string, Profile> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read the profile file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { defaultProfile, profiles = {} } = isRecord(parsed) ? parsed : {};
  const valid =
    (defaultProfile === undefined || typeof defaultProfile === 'string') &&
    isRecord(profiles) &&
    Object.values(profiles).every(
      (profile) =>
        isRecord(profile) && ['url', 'key', 'controlUrl'].every((field) => ['undefined', 'string'].includes(typeof profile[field])),
    );
  if (!isRecord(parsed) || !valid) {
    throw new UsageError(
      `the profile file ${file} is not {"defaultProfile"?: "<name>", "profiles": {"<name>": {"url"?, "key"?, "controlUrl"?}}}`,
    );
  }
  return { ...(defaultProfile !== undefined && { defaultProfile }), profiles: profiles as Record<string, Profile> };
}

/**
 * What a running local cloud leaves in `<repo>/.leadflow/`: its admin key (`admin-key`, kept across
 * restarts) and its control plane's URL (`control-url`, while it runs). Whatever the API's port,
 * any API on this machine's loopback address may be that local cloud; nothing is read for a remote
 * API: a local key has no business there.
 */
function localFile(url: string, context: CliContext, name: 'admin-key' | 'control-url'): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new UsageError(`not a URL: ${url}`);
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return undefined;
  const file = path.join(context.packageRoot, '.leadflow', name);
  const value = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  return value === '' ? undefined : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
