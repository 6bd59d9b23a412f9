import { PreconditionFailedError, PreconditionRequiredError, ValidationError } from '../core/errors';
import { parseLifecycleConfig, type LifecycleConfigView } from '../core/lifecycle';
import { actorOf, httpHandler, type HttpRequest, type HttpResponse } from './shared/http';
import { effectiveLifecycleConfig } from './shared/lifecycle-config';
import { readStoredLifecycleConfig, writeLifecycleConfig, type StoredLifecycleConfig } from './shared/lifecycle-config-repository';

/** A table item holds 400 KB; the document is stored twice (current and change record), each its own item. */
export const MAX_LIFECYCLE_CONFIG_BYTES = 350 * 1024;

/**
 * GET /v1/lifecycle-config answers the configuration in effect with its version as the ETag;
 * PUT replaces it and DELETE goes back to the deployed one, each only with the `If-Match` of the
 * version it replaces (412 when another edit came first) and each leaving a change record.
 * The workflow functions see an edit within their cache time (LIFECYCLE_CONFIG_CACHE_MS).
 */
export const handler = httpHandler(
  async (request) => {
    if (request.method === 'GET') return viewOf(await readStoredLifecycleConfig({ consistent: true }));
    const expectedVersion = ifMatchVersion(request);
    // A bad document is a 400 before the version is looked at: it would be refused at any version.
    const config = request.method === 'PUT' ? parseLifecycleConfig(request.body) : undefined;
    const current = await readStoredLifecycleConfig({ consistent: true });
    const currentVersion = current?.version ?? 0;
    if (currentVersion !== expectedVersion) throw stale(expectedVersion, currentVersion);
    // Nothing stored: a DELETE has nothing to undo, and records nothing.
    if (!config && current?.config === undefined) return viewOf(current);
    const written = await writeLifecycleConfig({ expectedVersion, config, by: actorOf(request), at: new Date().toISOString() });
    if (!written) throw stale(expectedVersion, (await readStoredLifecycleConfig({ consistent: true }))?.version ?? 0);
    return viewOf(written);
  },
  { body: 'json', maxBodyBytes: MAX_LIFECYCLE_CONFIG_BYTES },
);

function viewOf(stored: StoredLifecycleConfig | undefined): HttpResponse {
  const effective = effectiveLifecycleConfig(stored);
  const view: LifecycleConfigView = {
    source: effective.source,
    version: stored?.version ?? 0,
    ...(stored && { updatedAt: stored.updatedAt, updatedBy: stored.updatedBy }),
    ...(effective.problem !== undefined && { problem: effective.problem }),
    config: effective.config,
  };
  return { status: 200, json: view, headers: { etag: `"${String(view.version)}"` } };
}

/** The version named by `If-Match` (the ETag a GET answered: `"3"`; a weak `W/"3"` or a bare 3 also do). */
function ifMatchVersion(request: HttpRequest): number {
  const header = request.headers['if-match']?.trim();
  if (!header) {
    throw new PreconditionRequiredError(
      'send If-Match with the ETag of GET /v1/lifecycle-config, so that an edit made meanwhile is not overwritten',
    );
  }
  const match = /^(?:W\/)?"?(\d{1,10})"?$/.exec(header);
  if (!match) {
    throw new ValidationError('If-Match must be the ETag answered by GET /v1/lifecycle-config (a quoted version number such as "3")', [
      { path: 'If-Match', message: 'must be one version, such as "3"' },
    ]);
  }
  return Number(match[1]);
}

function stale(expected: number, current: number): PreconditionFailedError {
  return new PreconditionFailedError(
    'lifecycle_config_changed',
    `the lifecycle configuration is at version ${String(current)}, not ${String(expected)}: read it again and reapply the edit`,
    [{ path: 'If-Match', message: `the current version is "${String(current)}"` }],
  );
}
