/**
 * The `sentinel` command tree and how its outcome becomes an exit code.
 *
 * Start-up is a hot path (every `credential_process` call runs it), so only commander
 * and the command definitions load eagerly, a run builds only the command it names
 * ({@link programFor}), and each action imports what it needs. Each
 * action runs its command through src/cli/context.ts, which reports what the command
 * throws and leaves the exit code in `process.exitCode`.
 */

import { Command, CommanderError, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { breakglassCommand } from './commands/breakglass.js';
import { credentialsCommand } from './commands/credentials.js';
import { execCommand } from './commands/exec.js';
import { initCommand } from './commands/init.js';
import { policyCommand } from './commands/policy.js';
import { profilesCommand } from './commands/profiles.js';
import { accessRequestCommands } from './commands/request.js';
import { sessionAliasCommands, sessionsCommand } from './commands/sessions.js';
import { whoamiCommand } from './commands/whoami.js';
import { EXIT_OK, EXIT_USAGE } from './exitCodes.js';
import { OUTPUT_FORMATS, outputFormat } from './output.js';
import { reportError } from './report.js';

/** Settings every command needs; `addCommand` does not pass them on, so apply them to the tree. */
function configureTree(command: Command): void {
  command.exitOverride().showHelpAfterError('(run with --help for usage)');
  for (const subcommand of command.commands) configureTree(subcommand);
}

/** A top-level command: the word that runs it, how to build it, and whether the main help lists it. */
type TopLevelCommand = readonly [name: string, create: () => Command, hidden?: boolean];

/** Every top-level command, in the order the help lists them. */
function topLevelCommands(): TopLevelCommand[] {
  return [
    ['exec', execCommand],
    ['credentials', credentialsCommand],
    ['whoami', whoamiCommand],
    ['profiles', profilesCommand],
    ['sessions', sessionsCommand],
    // request, requests, approve, deny, cancel (src/cli/commands/request.ts).
    ...accessRequestCommands(),
    ['breakglass', breakglassCommand],
    ['policy', policyCommand],
    ['init', initCommand],
    ...sessionAliasCommands().map(([name, create]): TopLevelCommand => [name, create, true]),
  ];
}

/** The program's own name, description, version and options, without commands. */
function programRoot(): Command {
  return new Command('sentinel')
    .description('policy-gated AWS credentials: run commands with short-lived credentials for a profile')
    .version(packageJson.version)
    .addOption(new Option('--output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .addOption(new Option('--api <url>', 'Sentinel API URL (default: $SENTINEL_API_URL)'))
    .addOption(new Option('--region <region>', 'signing region of the API (default: $SENTINEL_REGION, else from the API URL)'))
    .addOption(new Option('--aws-profile <name>', 'AWS profile that signs the API calls (default: the AWS SDK chain, e.g. $AWS_PROFILE)'));
}

/** The whole `sentinel` program, ready to parse. */
export function createProgram(): Command {
  return withCommands(programRoot(), topLevelCommands());
}

function withCommands(program: Command, commands: readonly TopLevelCommand[]): Command {
  for (const [, create, hidden] of commands) program.addCommand(create(), hidden === true ? { hidden: true } : {});
  configureTree(program);
  return program;
}

/**
 * The command word of `args` (the arguments after `sentinel`) as commander finds it:
 * the first operand, past `program`'s options that take a value (`--output json`,
 * `--output=json`). Any other option before it makes commander treat everything after
 * as unknown (`sentinel --help exec` is the program's help), and `--` ends the options:
 * then, or when there is no operand, ''.
 */
function commandWord(program: Command, args: readonly string[]): string {
  const taking = new Set(program.options.filter((option) => option.required || option.optional).flatMap((option) => [option.long, option.short]));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (taking.has(arg)) i++;
    else if (arg.startsWith('--') && arg.includes('=') && taking.has(arg.slice(0, arg.indexOf('=')))) continue;
    else if (arg.startsWith('-')) return '';
    else return arg;
  }
  return '';
}

/**
 * The program a run of `argv` (as `process.argv`) needs. Start-up is a hot path (every
 * `credential_process` call, every `sentinel exec`), and building the whole command tree
 * costs a few milliseconds of it: a run that names a top-level command gets the program
 * with that one command, which parses, helps and fails exactly as in the whole tree
 * (test/unit/cli/program.test.ts compares them); `sentinel --version` alone gets none.
 * Anything else (no command, a word that is no command, `help …`, an option other
 * than the program's value options before the word) gets the whole tree, for the help
 * that lists every command and commander's "did you mean".
 */
export function programFor(argv: readonly string[]): Command {
  const program = programRoot();
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return withCommands(program, []);
  const word = commandWord(program, args);
  const commands = topLevelCommands();
  const named = commands.find(([name]) => name === word);
  return withCommands(program, named === undefined ? commands : [named]);
}

/**
 * Runs the program on `argv` (as `process.argv`) and returns the exit code:
 * 0 success, 1 error, 2 usage error, 3 policy denial (docs/cli.md).
 */
export async function run(argv: readonly string[]): Promise<number> {
  const program = programFor(argv);
  try {
    process.exitCode = undefined;
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed the message, or the help or version asked for
      // (exit code 0); help shown because a command is missing is a usage error.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    // Commands report their own failures; this is for anything thrown outside them.
    return reportError(error, { format: outputFormat(program) });
  }
}
