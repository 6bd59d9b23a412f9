import { type CommandGroup, stringOption } from '../command';
import { UsageError } from '../errors';
import { table } from '../format';

interface KeyView {
  keyId: string;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

export const keys: CommandGroup = {
  name: 'keys',
  summary: 'Issue, list and revoke API keys (admin).',
  subcommands: {
    issue: {
      args: ['--name NAME', '--scopes A,B'],
      summary: 'Issue an API key: its plaintext is shown this once.',
      details: ['Scopes: leads:read, leads:write, campaigns:read, campaigns:write, metrics:read, admin.'],
      options: {
        name: { type: 'string', value: 'NAME', description: 'who uses the key (its changes name it as their actor)' },
        scopes: { type: 'string', value: 'A,B', description: 'comma-separated scopes' },
      },
      async run(invocation) {
        const name = stringOption(invocation, 'name');
        const scopes = stringOption(invocation, 'scopes')
          ?.split(',')
          .map((scope) => scope.trim())
          .filter(Boolean);
        if (!name) throw new UsageError('keys issue needs --name NAME');
        if (!scopes || scopes.length === 0) throw new UsageError('keys issue needs --scopes A,B');
        const { json } = await invocation.api().write<KeyView & { key: string }>('POST', '/v1/api-keys', { body: { name, scopes } });
        invocation.answer(
          json,
          () => `issued ${json.keyId} (${json.name}: ${json.scopes.join(', ')})\n${json.key}\nThe key is shown this once: store it now.`,
        );
      },
    },
    list: {
      summary: 'List the API keys, newest first (never a key itself).',
      async run(invocation) {
        const { json } = await invocation.api().get<{ keys: KeyView[] }>('/v1/api-keys');
        invocation.answer(json, () =>
          table(
            ['KEY ID', 'NAME', 'SCOPES', 'CREATED', 'STATUS'],
            json.keys.map((key) => [key.keyId, key.name, key.scopes.join(','), key.createdAt, keyStatus(key)]),
          ),
        );
      },
    },
    revoke: {
      args: ['<keyId>'],
      summary: 'Revoke an API key: it fails within a second.',
      async run(invocation) {
        const [keyId = ''] = invocation.positionals;
        const { json } = await invocation.api().write<KeyView>('DELETE', `/v1/api-keys/${encodeURIComponent(keyId)}`);
        invocation.answer(json, () => `revoked ${json.keyId} (${json.name})`);
      },
    },
  },
};

function keyStatus(key: KeyView): string {
  if (key.revokedAt) return `revoked ${key.revokedAt}`;
  if (key.expiresAt) return `expires ${key.expiresAt}`;
  return 'active';
}
