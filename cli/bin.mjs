#!/usr/bin/env node
// The CLI is TypeScript like the rest of the repository: tsx compiles it as it loads, so there is no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
