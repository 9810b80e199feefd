/**
 * What every `sentinel` command runs against: the API client (built lazily), the
 * streams, the environment, the output format, the clock, and the way to refuse a bad
 * option. A command is `run…(options, context) → exit code`; its commander action
 * builds the real context here ({@link runCommand}) and tests hand in fakes.
 *
 * Light on purpose: program.ts loads it at start-up, so the API client (and with it the
 * AWS SDK) is only imported when a command first calls {@link CommandContext.api}.
 */

import type { Command } from 'commander';
import { CommanderError } from 'commander';
import type { SentinelApi } from './api/types.js';
import { EXIT_USAGE } from './exitCodes.js';
import type { OutputFormat } from './output.js';
import { outputFormat } from './output.js';
import type { ReportOptions } from './report.js';
import { reportError } from './report.js';

/** What a command's `run…(options, context)` works with: the API, the streams, the environment, the format, the clock. */
export interface CommandContext {
  /**
   * The signing API client, built on the first call (which loads the AWS SDK) and the
   * same one after that.
   *
   * @throws ApiError `NO_API_URL`, `INVALID_API_URL`, `NO_REGION`, `INVALID_REGION` when
   *   `--api` / `--region` / `SENTINEL_API_URL` / `SENTINEL_REGION` do not say where the API is.
   */
  api(): Promise<SentinelApi>;
  /** `--output text|json`. */
  format: OutputFormat;
  /** Where confirmations are read; only a terminal (`isTTY`) can answer. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Results only: text, JSON documents, credentials. */
  stdout: NodeJS.WritableStream;
  /** Diagnostics, questions, progress; `isTTY` picks a spinner over plain lines. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /**
   * The environment. In a real run it is `process.env` itself, so a variable a command
   * sets reaches the processes it starts (and the AWS SDK's credential_process).
   */
  env: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch. */
  now: () => number;
  /**
   * Refuses a bad option value the way commander refuses its own: `message` (written
   * as commander writes them, `error: option '…' …`), the hint to run --help, exit 2.
   */
  usageError(message: string): never;
}

/** How a command's failures are reported, beyond the context's format and streams. */
export type CommandReport = Pick<ReportOptions, 'stdoutReserved'>;

/** The context of a real run of `command`: its global options, the process's streams, environment and clock. */
export function commandContext(command: Command): CommandContext {
  let api: Promise<SentinelApi> | undefined;
  return {
    api: () => (api ??= import('./api/fromCommand.js').then(({ apiFor }) => apiFor(command))),
    format: outputFormat(command),
    // A getter: touching process.stdin opens fd 0, which only the prompting commands need.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => Date.now(),
    usageError: (message) => command.error(message, { exitCode: EXIT_USAGE, code: 'commander.usageError' }),
  };
}

/**
 * Runs a command against `context` and returns its exit code. Whatever it throws is
 * reported once, by {@link reportError} on the context's streams (exit 1, or 3 for a
 * policy denial), except commander's own usage errors: commander has printed those
 * already, and program.ts turns them into exit code 2.
 */
export async function exitCodeOf(context: CommandContext, run: (context: CommandContext) => Promise<number>, report: CommandReport = {}): Promise<number> {
  try {
    return await run(context);
  } catch (error) {
    if (error instanceof CommanderError) throw error;
    return reportError(error, { format: context.format, stdout: context.stdout, stderr: context.stderr, ...report });
  }
}

/**
 * The whole of a commander action: builds the real context of `command`, runs the
 * command and leaves its exit code for program.ts (`process.exitCode`).
 */
export async function runCommand(command: Command, run: (context: CommandContext) => Promise<number>, report: CommandReport = {}): Promise<void> {
  process.exitCode = await exitCodeOf(commandContext(command), run, report);
}
