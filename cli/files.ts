import { readFileSync } from 'node:fs';
import { UsageError } from './errors';

/** The JSON document a `--file` names; a missing or malformed file is a usage error. */
export function readJsonFile(file: string | undefined, command: string): unknown {
  if (file === undefined) throw new UsageError(`${command} needs --file FILE`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
