/**
 * `sentinel exec` — runs a command with short-lived credentials for a profile, either
 * in its environment (`cli` mode) or from a local credential endpoint that serves the
 * session's credentials, renews them ahead of need and re-checks the session with the
 * API at an interval (`--server`).
 */

import { Command, InvalidArgumentError, Option } from 'commander';
import { parseProfile } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import type { ExecOptions } from '../exec/execute.js';
import type { OutputFormat } from '../output.js';

function parsePort(value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) throw new InvalidArgumentError('Expected a port number from 1 to 65535.');
  return port;
}

/** The options of `sentinel exec`, and the command to run (empty: the user's shell). */
export interface ExecRunOptions extends ExecOptions {
  command: readonly string[];
}

/**
 * The commander command the exec machinery (src/cli/exec/execute.ts) is written
 * against: it reads `--output` through `optsWithGlobals()` and refuses bad option
 * combinations through `error()`. This one holds the context's format and hands the
 * refusals to the context, so exec runs on the same pieces as every other command.
 */
class ExecInvocation extends Command {
  readonly #usageError: (message: string) => never;

  constructor(format: OutputFormat, usageError: (message: string) => never) {
    super('exec');
    this.#usageError = usageError;
    this.setOptionValue('output', format);
  }

  override error(message: string): never {
    return this.#usageError(message);
  }
}

/**
 * Runs the command with credentials for the profile (src/cli/exec/execute.ts) and
 * returns its exit code: the child's own, 128 + n for a signal, 1 for an error, 2 for a
 * usage error, 3 for a policy denial, 127/126 when the command cannot be started.
 * Refusals met once the machinery has the API (a denial and its guidance, a failed
 * start, a session that cannot be ended) it reports itself, on the process's streams.
 */
export async function runExec(options: ExecRunOptions, context: CommandContext): Promise<number> {
  const { command: args, ...execOptions } = options;
  const { executeCommand } = await import('../exec/execute.js');
  return executeCommand(args, execOptions, new ExecInvocation(context.format, (message) => context.usageError(message)), () => context.api());
}

/** The `exec` command. */
export function execCommand(): Command {
  return new Command('exec')
    .description('run a command with short-lived AWS credentials for a profile (default command: $SHELL)')
    .usage('[options] --profile <profile> [-- command [args...]]')
    .requiredOption('--profile <profile>', 'the Sentinel profile to get credentials for', parseProfile)
    .option('--server', 'serve credentials to the command from a local endpoint that renews them ahead of need and re-checks the session with the API')
    .addOption(new Option('--server-port <port>', 'with --server: the 127.0.0.1 port of the endpoint (default: a free one)').argParser(parsePort))
    .option('--lazy', 'with --server: ask for no credentials before the command starts (then SENTINEL_SESSION_ID and the region are not set)')
    .option('--recheck <duration>', 'with --server: how often the endpoint re-checks the session with the API: 30s, 1m, … (5s to 1h; default 30s)')
    .addOption(
      new Option('--session-table <table>', 'session table to track the session in').env('SENTINEL_SESSION_TABLE'),
    )
    .option('--duration <duration>', 'how long the credentials last: 15m, 1h, 3600s (900s to 12h; the policy may cap it)')
    .argument('[command...]', 'the command and its arguments, after "--"; no shell is involved')
    .action((args: string[], options: ExecOptions, command: Command) => runCommand(command, (context) => runExec({ ...options, command: args }, context)));
}
