import { parseArgs } from 'node:util';
import { globalOptions, type Command, type CommandGroup, type Invocation, type OptionSpec } from './command';
import { campaigns } from './commands/campaigns';
import { executions } from './commands/executions';
import { forms } from './commands/forms';
import { keys } from './commands/keys';
import { leads } from './commands/leads';
import { metrics } from './commands/metrics';
import { move } from './commands/move';
import { rescore } from './commands/rescore';
import { start } from './commands/start';
import { resolveConnection, type Connection } from './config';
import { processContext, type CliContext } from './context';
import { EXIT_API_ERROR, EXIT_OK, EXIT_USAGE, LocalCloudExit, UsageError } from './errors';
import { ApiClient } from './http';

const groups: CommandGroup[] = [start, keys, forms, leads, move, campaigns, metrics, rescore, executions];

const exitCodes = [
  'Exit codes:',
  `  ${EXIT_OK}  success`,
  `  ${EXIT_API_ERROR}  the API answered an error (4xx/5xx) or could not be reached; a job failed; a wait gave up (--timeout)`,
  `  ${EXIT_USAGE}  usage error: unknown command or option, missing or malformed argument, unreadable file or profile`,
];

/**
 * Runs one command line and returns its exit code; it never exits the process, so tests run it
 * in-process. Success output goes to stdout; an error is one line on stderr.
 */
export async function main(argv: string[], overrides: Partial<CliContext> = {}): Promise<number> {
  const context: CliContext = { ...processContext(), ...overrides };
  try {
    await dispatch(argv, context);
    return EXIT_OK;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    context.stderr.write(`leadflow: ${message.split('\n')[0] ?? ''}\n`);
    if (error instanceof UsageError) return EXIT_USAGE;
    return error instanceof LocalCloudExit ? error.exitCode : EXIT_API_ERROR;
  }
}

async function dispatch(argv: string[], context: CliContext): Promise<void> {
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const first = takeWord(argv);
  if (!first) {
    if (!wantsHelp) throw new UsageError('no command given (leadflow --help lists them)');
    context.stdout.write(mainHelp());
    return;
  }
  // `leadflow help leads show` is `leadflow leads show --help`.
  if (first.word === 'help') return dispatch([...first.rest, '--help'], context);
  const group = groups.find((candidate) => candidate.name === first.word);
  if (!group) throw new UsageError(`unknown command ${first.word} (commands: ${groups.map(({ name }) => name).join(', ')})`);
  if ('command' in group) return run([group.name], group.command, first.rest, context);

  const names = Object.keys(group.subcommands).join(', ');
  const second = takeWord(first.rest);
  if (!second) {
    if (!wantsHelp) throw new UsageError(`${group.name} needs a subcommand: ${names}`);
    context.stdout.write(groupHelp(group));
    return;
  }
  const command = Object.hasOwn(group.subcommands, second.word) ? group.subcommands[second.word] : undefined;
  if (!command) throw new UsageError(`unknown command ${group.name} ${second.word} (${group.name} has ${names})`);
  return run([group.name, second.word], command, second.rest, context);
}

/**
 * The first command word and the tokens without it. Only the global options are known before the
 * command is, so a global option's value (`--url http://...`) is never taken for a word.
 */
function takeWord(tokens: string[]): { word: string; rest: string[] } | undefined {
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] ?? '';
    if (token === '--') return undefined;
    if (!token.startsWith('-')) return { word: token, rest: tokens.toSpliced(index, 1) };
    if (globalOptions[token.slice(2)]?.type === 'string') index++;
  }
  return undefined;
}

async function run(words: string[], command: Command, tokens: string[], context: CliContext): Promise<void> {
  const wantsHelp = tokens.includes('--help') || tokens.includes('-h');
  if (command.passThrough) {
    if (wantsHelp) context.stdout.write(commandHelp(words, command));
    else await command.run(invocationOf({}, tokens, context));
    return;
  }
  const options = { ...globalOptions, ...command.options };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: tokens,
      options: Object.fromEntries(Object.entries(options).map(([name, { type, short }]) => [name, { type, ...(short && { short }) }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // Node's messages go on with advice about `--`; the first sentence is the one that matters.
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${words.join(' ')}: ${message.split('. ')[0] ?? message} (leadflow ${words.join(' ')} --help)`);
  }
  if (parsed.values.help === true) {
    context.stdout.write(commandHelp(words, command));
    return;
  }
  // `--name NAME` and `[--port N]` in `args` only show an option in the usage line.
  const args = (command.args ?? []).filter((arg) => !/^\[?--/.test(arg));
  const required = args.filter((arg) => arg.startsWith('<'));
  const missing = required[parsed.positionals.length];
  if (missing) throw new UsageError(`${words.join(' ')} needs ${missing} (leadflow ${words.join(' ')} --help)`);
  const extra = parsed.positionals[args.length];
  if (extra !== undefined) throw new UsageError(`${words.join(' ')}: unexpected argument ${JSON.stringify(extra)}`);
  await command.run(invocationOf(parsed.values as Invocation['values'], parsed.positionals, context));
}

function invocationOf(values: Invocation['values'], positionals: string[], context: CliContext): Invocation {
  const flag = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
  let connection: Connection | undefined;
  const resolved = () =>
    (connection ??= resolveConnection(
      { url: flag('url'), key: flag('key'), profile: flag('profile'), controlUrl: flag('control-url') },
      context,
    ));
  const print = (text: string) => context.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const printJson = (value: unknown) => context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  return {
    values,
    positionals,
    context,
    json: values.json === true,
    connection: resolved,
    api: () => new ApiClient(resolved(), context),
    print,
    printJson,
    answer: (json, text) => (values.json === true ? printJson(json) : print(text())),
  };
}

function mainHelp(): string {
  const lines = groups.flatMap((group) =>
    'command' in group
      ? [[usageOf([group.name], group.command), group.command.summary]]
      : Object.entries(group.subcommands).map(([name, command]) => [usageOf([group.name, name], command), command.summary]),
  );
  return [
    'Usage: leadflow <command> [options]',
    '',
    'A command-line client of the leadflow HTTP API, local or deployed: it talks to nothing else (executions: the local control plane).',
    '',
    'Commands:',
    ...columns(lines as Array<[string, string]>),
    '',
    'Global options:',
    ...optionLines(globalOptions),
    '',
    'Connection: each of URL and key comes from its flag, else the environment (LEADFLOW_URL,',
    "LEADFLOW_API_KEY), else the profile (--profile or LEADFLOW_PROFILE, else the file's defaultProfile)",
    'in ~/.leadflow/config.json or $LEADFLOW_CONFIG:',
    '  {"defaultProfile": "prod", "profiles": {"prod": {"url": "https://...", "key": "lf_...", "controlUrl": "..."}}}',
    "With no key for an API on 127.0.0.1, the local cloud's admin key (.leadflow/admin-key) is used.",
    '',
    ...exitCodes,
    '',
    'leadflow <command> --help tells more about a command.',
    '',
  ].join('\n');
}

function groupHelp(group: CommandGroup & { subcommands: Record<string, Command> }): string {
  const lines = Object.entries(group.subcommands).map(([name, command]): [string, string] => [
    usageOf([group.name, name], command),
    command.summary,
  ]);
  return [
    `Usage: leadflow ${group.name} <subcommand> [options]`,
    '',
    group.summary,
    '',
    'Subcommands:',
    ...columns(lines),
    '',
    `leadflow ${group.name} <subcommand> --help tells more.`,
    '',
    ...exitCodes,
    '',
  ].join('\n');
}

function commandHelp(words: string[], command: Command): string {
  const own = command.options ?? {};
  return [
    `Usage: ${usageOf(words, command)}${command.passThrough ? '' : ' [options]'}`,
    '',
    command.summary,
    ...(command.details ? ['', ...command.details] : []),
    ...(Object.keys(own).length > 0 ? ['', 'Options:', ...optionLines(own)] : []),
    ...(command.passThrough ? [] : ['', 'Global options:', ...optionLines(globalOptions)]),
    '',
    ...exitCodes,
    '',
  ].join('\n');
}

function usageOf(words: string[], command: Command): string {
  return ['leadflow', ...words, ...(command.args ?? [])].join(' ');
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  return columns(
    Object.entries(options).map(([name, option]): [string, string] => [
      `${option.short ? `-${option.short}, ` : ''}--${name}${option.value ? ` ${option.value}` : ''}`,
      option.description,
    ]),
  );
}

function columns(lines: Array<[string, string]>): string[] {
  const width = Math.max(...lines.map(([left]) => left.length));
  return lines.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}
