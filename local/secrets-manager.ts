/**
 * Secrets Manager locally: the template's `AWS::SecretsManager::Secret` resources, each given its
 * generated value (GenerateSecretString) at the first start and kept in the data directory so a
 * restart keeps it (a lead-id key that changed would re-key every lead), served over the Secrets
 * Manager JSON 1.1 protocol that `@aws-sdk/client-secrets-manager` speaks
 * (`X-Amz-Target: secretsmanager.GetSecretValue`, the secret by ARN or name).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { SecretSpec } from './assembly';
import { listen, type RunningServer } from './listen';

interface StoredSecret {
  value: string;
  versionId: string;
  /** Epoch seconds, as the API answers dates. */
  createdDate: number;
}

export interface LocalSecretsManager {
  /** For `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  endpoint: string;
  close(): Promise<void>;
}

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const character = {
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  numbers: '0123456789',
};

/**
 * A value as Secrets Manager generates it (GetRandomPassword's rules): PasswordLength characters
 * (default 32) from the included character types, at least one of each when
 * RequireEachIncludedType (the default); with SecretStringTemplate, the JSON template with the
 * password under GenerateStringKey.
 */
export function generateSecretString(options: SecretSpec['generate']): string {
  const length = options.PasswordLength ?? 32;
  const excluded = new Set(Array.from(options.ExcludeCharacters ?? ''));
  const types = [
    options.ExcludeLowercase ? '' : character.lowercase,
    options.ExcludeUppercase ? '' : character.uppercase,
    options.ExcludeNumbers ? '' : character.numbers,
    options.ExcludePunctuation ? '' : PUNCTUATION,
    options.IncludeSpace ? ' ' : '',
  ]
    .map((set) =>
      Array.from(set)
        .filter((c) => !excluded.has(c))
        .join(''),
    )
    .filter((set) => set.length > 0);
  if (types.length === 0) throw new Error('GenerateSecretString excludes every character');
  const all = types.join('');
  const chars = Array.from({ length }, () => all[randomInt(all.length)] ?? '');
  if (options.RequireEachIncludedType !== false && length >= types.length) {
    // One of each type at distinct random places.
    const places = [...Array(length).keys()];
    for (let i = places.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [places[i], places[j]] = [places[j] ?? 0, places[i] ?? 0];
    }
    types.forEach((set, i) => {
      chars[places[i] ?? 0] = set[randomInt(set.length)] ?? '';
    });
  }
  const password = chars.join('');
  if (options.SecretStringTemplate === undefined) return password;
  if (!options.GenerateStringKey) throw new Error('SecretStringTemplate needs GenerateStringKey');
  const template = JSON.parse(options.SecretStringTemplate) as Record<string, unknown>;
  return JSON.stringify({ ...template, [options.GenerateStringKey]: password });
}

/**
 * Values for the template's secrets: those already in `file` kept, new ones generated (and the file
 * written) now. Without a file (an in-memory cloud) they live as long as the process.
 */
export function loadSecrets(secrets: SecretSpec[], file: string | undefined): Map<string, StoredSecret> {
  const stored = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, StoredSecret>) : {};
  let changed = false;
  for (const secret of secrets) {
    if (stored[secret.name]) continue;
    const value = secret.secretString ?? generateSecretString(secret.generate);
    stored[secret.name] = { value, versionId: randomUUID(), createdDate: Math.floor(Date.now() / 1000) };
    changed = true;
  }
  if (file && changed) writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  return new Map(
    secrets.flatMap((secret): Array<[string, StoredSecret]> => {
      const value = stored[secret.name];
      return value ? [[secret.name, value]] : [];
    }),
  );
}

export async function startSecretsManager(options: {
  secrets: SecretSpec[];
  /** Where generated values are kept; undefined: in memory only. */
  file: string | undefined;
  port?: number;
}): Promise<LocalSecretsManager> {
  const values = loadSecrets(options.secrets, options.file);
  const server = createServer((req, res) => {
    handle(options.secrets, values, req, res).catch((error: unknown) => {
      fail(res, 500, 'InternalServiceError', error instanceof Error ? error.message : String(error));
    });
  });
  const running: RunningServer = await listen(server, options.port ?? 0, 'local Secrets Manager');
  return { endpoint: running.url, close: () => running.close() };
}

async function handle(secrets: SecretSpec[], values: Map<string, StoredSecret>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const target = String(req.headers['x-amz-target'] ?? '');
  if (req.method !== 'POST' || !target.startsWith('secretsmanager.')) {
    fail(res, 400, 'UnknownOperationException', 'send a Secrets Manager JSON 1.1 request (POST, X-Amz-Target: secretsmanager.<Action>)');
    return;
  }
  let input: { SecretId?: unknown };
  try {
    input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: unknown };
  } catch {
    fail(res, 400, 'SerializationException', 'the request body is not JSON');
    return;
  }
  const action = target.slice('secretsmanager.'.length);
  if (action !== 'GetSecretValue' && action !== 'DescribeSecret') {
    fail(res, 400, 'UnknownOperationException', `${action} is not emulated locally (GetSecretValue, DescribeSecret are)`);
    return;
  }
  if (typeof input.SecretId !== 'string' || input.SecretId.length === 0) {
    fail(res, 400, 'InvalidParameterException', 'SecretId is required');
    return;
  }
  const secretId = input.SecretId;
  // By ARN, or by name as the template's Ref or a caller gives it.
  const secret = secrets.find((candidate) => candidate.arn === secretId || candidate.name === secretId);
  const stored = secret && values.get(secret.name);
  if (!secret || !stored) {
    fail(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return;
  }
  const common = { ARN: secret.arn, Name: secret.name, CreatedDate: stored.createdDate };
  send(
    res,
    200,
    action === 'GetSecretValue'
      ? { ...common, SecretString: stored.value, VersionId: stored.versionId, VersionStages: ['AWSCURRENT'] }
      : { ...common, Description: secret.description, VersionIdsToStages: { [stored.versionId]: ['AWSCURRENT'] } },
  );
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify({ __type: type, message }));
}
