/**
 * Writes the OpenAPI document generated from the zod schemas to a file: the GetOpenApi function's
 * bundle ships it, so the function serves a finished document instead of generating one at every
 * cold start. Usage: tsx scripts/write-openapi.ts <output file>
 */
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../api/openapi';

const [output] = process.argv.slice(2);
if (!output) {
  console.error('usage: tsx scripts/write-openapi.ts <output file>');
  process.exit(2);
}
writeFileSync(output, JSON.stringify(openApiDocument()));
