import * as z from 'zod';
import { lifecycleConfigSchema, type LifecycleConfig } from '../../core/lifecycle';

let cached: LifecycleConfig | undefined;

/** The lifecycle's owners, delays and playbooks (CDK context `lifecycle`), checked at first use. */
export function loadLifecycleConfig(): Promise<LifecycleConfig> {
  cached ??= lifecycleConfigSchema.parse(JSON.parse(z.object({ LIFECYCLE_CONFIG: z.string().min(2) }).parse(process.env).LIFECYCLE_CONFIG));
  return Promise.resolve(cached);
}
