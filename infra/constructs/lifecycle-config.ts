import type { LifecycleConfig } from '../../core/lifecycle';
import type { TableGrant } from './storage';

/**
 * The bundler runs as one shell command line (at most 128 KB on Linux): the deployed default must
 * stay well under it. A larger configuration is stored through `PUT /v1/lifecycle-config`.
 */
const MAX_BUNDLED_BYTES = 96 * 1024;

/**
 * The esbuild `define` that puts the deployment's lifecycle configuration into a function's code,
 * where functions/shared/lifecycle-config.ts reads it as the default while no edited configuration
 * is stored. Base64, so that no character of a playbook can break out of the bundler's command line.
 */
export function lifecycleConfigDefine(config: LifecycleConfig): Record<string, string> {
  const encoded = Buffer.from(JSON.stringify(config), 'utf8').toString('base64');
  if (encoded.length > MAX_BUNDLED_BYTES) {
    throw new Error(
      `the lifecycle context is ${String(Math.round(encoded.length / 1024))} KB encoded, more than a bundle takes (${String(MAX_BUNDLED_BYTES / 1024)} KB): ` +
        'deploy a smaller default and store the full configuration with PUT /v1/lifecycle-config',
    );
  }
  return { LEADFLOW_DEPLOYED_LIFECYCLE_CONFIG: JSON.stringify(encoded) };
}

/** What every function that calls loadLifecycleConfig() reads: the edited configuration's item. */
export const readsLifecycleConfig: TableGrant = { actions: ['GetItem'], partitions: ['config'] };
