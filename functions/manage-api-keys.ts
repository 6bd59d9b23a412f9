import { keyIdSchema, newApiKeySchema, rotationSchema } from '../core/api-key';
import { NotFoundError, ValidationError, detailsFromIssues } from '../core/errors';
import { issueApiKey, listApiKeys, revokeApiKey, rotateApiKey, type KeyStore } from './shared/api-key-store';
import { httpHandler, type HttpRequest } from './shared/http';
import { logger } from './shared/observability';
import { documents, tableEnv } from './shared/table';

const store: KeyStore = { client: documents, tableName: tableEnv.TABLE_NAME };

/**
 * The API keys (admin): `POST /v1/api-keys` issues one (the plaintext is shown once, only its hash
 * is kept), `GET` lists them without key or hash, `DELETE /{keyId}` revokes one, `POST
 * /{keyId}/rotate` issues its successor and lets the old key work for an overlap window.
 */
export const handler = httpHandler(
  async (request) => {
    const now = new Date();
    switch (request.routeKey) {
      case 'GET /v1/api-keys':
        return { status: 200, json: { keys: await listApiKeys(store) } };
      case 'POST /v1/api-keys': {
        const parsed = newApiKeySchema.safeParse(request.body);
        if (!parsed.success) throw new ValidationError('the API key request is invalid', detailsFromIssues(parsed.error.issues));
        const issued = await issueApiKey(store, parsed.data, now);
        logger.info('API key issued', { keyId: issued.keyId, by: request.apiKey?.keyId });
        return { status: 201, json: issued };
      }
      case 'DELETE /v1/api-keys/{keyId}': {
        const revoked = await revokeApiKey(store, keyIdOf(request), now);
        logger.info('API key revoked', { keyId: revoked.keyId, by: request.apiKey?.keyId });
        return { status: 200, json: revoked };
      }
      case 'POST /v1/api-keys/{keyId}/rotate': {
        const parsed = rotationSchema.safeParse(request.body);
        if (!parsed.success) throw new ValidationError('the rotation request is invalid', detailsFromIssues(parsed.error.issues));
        const rotated = await rotateApiKey(store, keyIdOf(request), parsed.data.overlapSeconds, now);
        logger.info('API key rotated', { keyId: rotated.rotated.keyId, newKeyId: rotated.keyId, by: request.apiKey?.keyId });
        return { status: 201, json: rotated };
      }
      default:
        throw new NotFoundError(`no such operation: ${request.routeKey}`);
    }
  },
  // A rotation may be posted without a body (the default overlap).
  { body: 'json', optionalBody: true },
);

/** A malformed id names no key: 404, like an unknown one. */
function keyIdOf(request: HttpRequest): string {
  const keyId = keyIdSchema.safeParse(request.pathParameters.keyId);
  if (!keyId.success) throw new NotFoundError('there is no such API key');
  return keyId.data;
}
