import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTemplate, type CfnTemplate } from '../../local/assembly';
import { generateSecretString, startSecretsManager, type LocalSecretsManager } from '../../local/secrets-manager';

const template: CfnTemplate = {
  Resources: {
    LeadIdKey: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: { Description: 'HMAC key', GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false } },
    },
    Named: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'partner-token', SecretString: 'fixed-value' } },
  },
};

const started: LocalSecretsManager[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(file: string | undefined) {
  const { secrets } = parseTemplate(template, { stackName: 'App', assemblyDir: '/tmp' });
  const server = await startSecretsManager({ secrets, file });
  started.push(server);
  const client = new SecretsManagerClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    secrets,
    client,
    get: async (secretId: string) => (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString,
  };
}

describe('the local Secrets Manager', () => {
  it("reads the template's secrets: Ref gives the ARN, the name is the stack's or the declared one", () => {
    const { secrets } = parseTemplate(template, { stackName: 'App', assemblyDir: '/tmp' });
    expect(secrets.map(({ name, arn }) => ({ name, arn }))).toEqual([
      { name: 'App-LeadIdKey', arn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:App-LeadIdKey-local' },
      { name: 'partner-token', arn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:partner-token-local' },
    ]);
  });

  it('answers GetSecretValue by ARN or by name, with the generated value following GenerateSecretString', async () => {
    const { secrets, get } = await start(undefined);
    const byArn = await get(secrets[0]!.arn);
    expect(byArn).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(await get('App-LeadIdKey')).toBe(byArn);
    expect(await get('partner-token')).toBe('fixed-value');
  });

  it('keeps generated values across a restart when it has a file, and generates anew without one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'secrets-'));
    dirs.push(dir);
    const file = path.join(dir, 'secrets.json');
    const first = await (await start(file)).get('App-LeadIdKey');
    const again = await (await start(file)).get('App-LeadIdKey');
    expect(again).toBe(first);
    expect(await (await start(undefined)).get('App-LeadIdKey')).not.toBe(first);
  });

  it('answers ResourceNotFoundException for an unknown secret, as the SDK expects it', async () => {
    const { get } = await start(undefined);
    await expect(get('no-such-secret')).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('generates each included character type, honours exclusions and templates', () => {
    for (let i = 0; i < 50; i++) {
      const value = generateSecretString({ PasswordLength: 8, ExcludeCharacters: 'abc' });
      expect(value).toHaveLength(8);
      expect(value).toMatch(/[a-z]/);
      expect(value).toMatch(/[A-Z]/);
      expect(value).toMatch(/[0-9]/);
      expect(value).toMatch(/[^A-Za-z0-9]/);
      expect(value).not.toMatch(/[abc]/);
    }
    const json = JSON.parse(generateSecretString({ SecretStringTemplate: '{"user":"a"}', GenerateStringKey: 'password' })) as Record<
      string,
      string
    >;
    expect(json.user).toBe('a');
    expect(json.password).toHaveLength(32);
  });
});
