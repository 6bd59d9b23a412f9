import type { Connection } from './config';
import type { CliContext } from './context';
import { UsageError } from './errors';
import type { ApiClient } from './http';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the help (`N`, `FILE`). */
  value?: string;
  description: string;
}

export interface Command {
  /** The arguments after the command words: `<required>`, `[optional]`. */
  args?: string[];
  summary: string;
  /** More lines for `--help`. */
  details?: string[];
  options?: Record<string, OptionSpec>;
  /** Every argument goes to the command as it is (`start` hands them to the local cloud). */
  passThrough?: boolean;
  run(invocation: Invocation): Promise<void>;
}

/** A top-level command: one command (`move`), or a group of subcommands (`leads show`, `leads find`). */
export type CommandGroup = { name: string; summary: string } & ({ command: Command } | { subcommands: Record<string, Command> });

/** One parsed command line, with what a command needs to do its work. */
export interface Invocation {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  context: CliContext;
  /** `--json`: print the API's raw answer. */
  json: boolean;
  connection(): Connection;
  api(): ApiClient;
  print(text: string): void;
  printJson(value: unknown): void;
  /** The API's answer as JSON with `--json`, else as the text made for people. */
  answer(json: unknown, text: () => string): void;
}

export function stringOption(invocation: Invocation, name: string): string | undefined {
  const value = invocation.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function numberOption(
  invocation: Invocation,
  name: string,
  { integer = false, min = Number.NEGATIVE_INFINITY }: { integer?: boolean; min?: number } = {},
): number | undefined {
  const text = stringOption(invocation, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min) {
    throw new UsageError(
      `--${name} must be ${integer ? 'a whole number' : 'a number'}${min > Number.NEGATIVE_INFINITY ? ` of at least ${min}` : ''}, not ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** Options every command takes. */
export const globalOptions: Record<string, OptionSpec> = {
  url: { type: 'string', value: 'URL', description: `the API's base URL (else LEADFLOW_URL, the profile's, http://127.0.0.1:3000)` },
  key: { type: 'string', value: 'KEY', description: "the API key (else LEADFLOW_API_KEY, the profile's, the local cloud's admin key)" },
  profile: {
    type: 'string',
    value: 'NAME',
    description: 'a profile of ~/.leadflow/config.json (else LEADFLOW_PROFILE, its defaultProfile)',
  },
  json: { type: 'boolean', description: "print the API's raw JSON answer" },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};
