import * as z from 'zod';
import { lifecycleConfigSchema, type LifecycleConfig } from '../../core/lifecycle';
import { readStoredLifecycleConfig, type StoredLifecycleConfig } from './lifecycle-config-repository';
import { logger } from './observability';

/**
 * The deployment's configuration (CDK context `lifecycle`, checked at synth), put into the bundle
 * by esbuild `define` as base64 JSON (infra/constructs/lifecycle-config.ts): it rides in the code,
 * not in the 4 KB environment, and a new context makes a new bundle.
 */
declare const LEADFLOW_DEPLOYED_LIFECYCLE_CONFIG: string | undefined;

/** An edit through `PUT /v1/lifecycle-config` reaches every function within this time. */
export const LIFECYCLE_CONFIG_CACHE_MS = 30_000;

let deployed: LifecycleConfig | undefined;
let cached: { config: LifecycleConfig; expires: number } | undefined;

/** The deployed default; a bundle built without it fails at its first use instead of running with no team. */
export function deployedLifecycleConfig(): LifecycleConfig {
  if (!deployed) {
    const bundled = typeof LEADFLOW_DEPLOYED_LIFECYCLE_CONFIG === 'string' ? LEADFLOW_DEPLOYED_LIFECYCLE_CONFIG : undefined;
    if (bundled === undefined) {
      throw new Error(
        'this function was built without the deployed lifecycle configuration (lifecycleConfigDefine in infra/constructs/lifecycle-config.ts)',
      );
    }
    deployed = lifecycleConfigSchema.parse(JSON.parse(Buffer.from(bundled, 'base64').toString('utf8')));
  }
  return deployed;
}

export interface EffectiveLifecycleConfig {
  config: LifecycleConfig;
  source: 'deployed' | 'stored';
  /** Why a stored document is not in effect (it failed the schema): the fields at fault. */
  problem?: string;
}

/** The stored document when there is a valid one, else the deployed default (a bad stored one is logged, never fatal). */
export function effectiveLifecycleConfig(stored: StoredLifecycleConfig | undefined): EffectiveLifecycleConfig {
  if (stored?.config === undefined) return { config: deployedLifecycleConfig(), source: 'deployed' };
  const parsed = lifecycleConfigSchema.safeParse(stored.config);
  if (parsed.success) return { config: parsed.data, source: 'stored' };
  // Field paths and messages only: the document holds the team's names and addresses.
  const fields = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(document)'}: ${issue.message}`);
  logger.error('the stored lifecycle configuration is invalid; the deployed one is in effect', { version: stored.version, fields });
  return {
    config: deployedLifecycleConfig(),
    source: 'deployed',
    problem: `stored version ${stored.version} is invalid (${fields.join('; ')})`,
  };
}

/**
 * The lifecycle's owners, delays and playbooks in effect: the configuration edited through the
 * admin API when there is a valid one, else the deployment's. Read at most every
 * LIFECYCLE_CONFIG_CACHE_MS per container. When the table cannot be read, the last configuration
 * read keeps serving; with none yet, the error goes to the caller (its step is retried).
 */
export async function loadLifecycleConfig(): Promise<LifecycleConfig> {
  const now = Date.now();
  if (cached && cached.expires > now) return cached.config;
  deployedLifecycleConfig();
  let stored: StoredLifecycleConfig | undefined;
  try {
    stored = await readStoredLifecycleConfig();
  } catch (error) {
    if (error instanceof z.ZodError) {
      logger.error('the stored lifecycle configuration item is malformed; the deployed configuration is in effect');
    } else if (cached) {
      logger.warn('could not read the lifecycle configuration; the last one read stays in effect', {
        error: { name: (error as Error).name },
      });
      return cached.config;
    } else {
      throw error;
    }
  }
  const { config } = effectiveLifecycleConfig(stored);
  cached = { config, expires: now + LIFECYCLE_CONFIG_CACHE_MS };
  return config;
}
