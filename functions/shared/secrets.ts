import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const secretsManager = new SecretsManagerClient({});
const cache = new Map<string, Promise<string>>();

/**
 * The value of the secret whose ARN is in the environment variable `envName` (set together with
 * the read grant by the Secrets construct). Read once per container, on first use: the keys never
 * rotate (see infra/constructs/secrets.ts), so a cached value never goes stale. A failed read is
 * not cached, so the next request tries again.
 */
export function secretValue(envName: string): Promise<string> {
  let value = cache.get(envName);
  if (!value) {
    const secretId = process.env[envName];
    if (!secretId) return Promise.reject(new Error(`${envName} is not set: the function was not granted this secret`));
    value = secretsManager.send(new GetSecretValueCommand({ SecretId: secretId })).then(({ SecretString }) => {
      if (!SecretString) throw new Error(`the secret in ${envName} has no string value`);
      return SecretString;
    });
    value.catch(() => cache.delete(envName));
    cache.set(envName, value);
  }
  return value;
}

/** Environment variables naming the stack's secrets (their ARNs). */
export const secretEnv = {
  leadIdKey: 'LEAD_ID_KEY_SECRET_ARN',
  formSecretsKey: 'FORM_SECRETS_KEY_SECRET_ARN',
  linkSigningKey: 'LINK_SIGNING_KEY_SECRET_ARN',
} as const;
