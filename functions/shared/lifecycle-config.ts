import * as z from 'zod';
import { lifecycleConfigSchema } from '../../core/lifecycle';

/** The lifecycle's owners, delays and playbooks (CDK context `lifecycle`), checked at cold start. */
export const lifecycleConfig = lifecycleConfigSchema.parse(
  JSON.parse(z.object({ LIFECYCLE_CONFIG: z.string().min(2) }).parse(process.env).LIFECYCLE_CONFIG),
);
