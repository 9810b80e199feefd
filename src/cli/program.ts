/**
 * The `sentinel` command tree and how its outcome becomes an exit code.
 *
 * Start-up is a hot path (every `credential_process` call runs it), so only commander
 * and the command definitions load eagerly; each action imports what it needs. Each
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

/** The whole `sentinel` program, ready to parse. */
export function createProgram(): Command {
  const program = new Command('sentinel')
    .description('policy-gated AWS credentials: run commands with short-lived credentials for a profile')
    .version(packageJson.version)
    .addOption(new Option('--output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .addOption(new Option('--api <url>', 'Sentinel API URL (default: $SENTINEL_API_URL)'))
    .addOption(new Option('--region <region>', 'signing region of the API (default: $SENTINEL_REGION, else from the API URL)'))
    .addOption(new Option('--aws-profile <name>', 'AWS profile that signs the API calls (default: the AWS SDK chain, e.g. $AWS_PROFILE)'))
    .addCommand(execCommand())
    .addCommand(credentialsCommand())
    .addCommand(whoamiCommand())
    .addCommand(profilesCommand())
    .addCommand(sessionsCommand());
  // request, requests, approve, deny, cancel (src/cli/commands/request.ts).
  for (const command of accessRequestCommands()) program.addCommand(command);
  program
    .addCommand(breakglassCommand())
    .addCommand(policyCommand())
    .addCommand(initCommand());
  for (const alias of sessionAliasCommands()) program.addCommand(alias, { hidden: true });
  configureTree(program);
  return program;
}

/**
 * Runs the program on `argv` (as `process.argv`) and returns the exit code:
 * 0 success, 1 error, 2 usage error, 3 policy denial (docs/cli.md).
 */
export async function run(argv: readonly string[]): Promise<number> {
  const program = createProgram();
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
