/**
 * How a failed command is reported: one clear line (or, for a policy denial, the
 * guidance that names the command that would work) on stderr, or with
 * `--output json` the structured error on stdout; and the exit code.
 *
 * Commands do not call this themselves: what their `run…` throws is reported here once
 * (src/cli/context.ts). The exec machinery (src/cli/exec/) also reports the refusals it
 * meets while a child runs.
 *
 * Messages are printed through src/cli/sanitize.ts: an API message is the server's
 * text, so every control character in it is shown as an escape (`\u001b`) and it stays
 * on one line; the CLI's own messages keep their line breaks. JSON output carries the
 * same data with those characters as JSON escapes.
 */

import { ApiError } from './errors.js';
import { EXIT_DENIED, EXIT_ERROR } from './exitCodes.js';
import { renderDenialGuidance } from './guidance.js';
import type { OutputFormat } from './output.js';
import { writeLines } from './output.js';
import { printable, printableJson, printableLines } from './sanitize.js';
import { CodedError } from '../errors.js';

/** How to report: the format, the streams, and what the guidance should name. */
export interface ReportOptions {
  format: OutputFormat;
  /** Where a JSON error goes (unless {@link stdoutReserved}); the process's stdout when not given. */
  stdout?: NodeJS.WritableStream;
  /** Where text errors go; the process's stderr when not given. */
  stderr?: NodeJS.WritableStream;
  /** The command the user wants to run, put in place of `<cmd>` in the guidance. */
  command?: readonly string[];
  /** Keep stdout for results only (credential_process): JSON errors go to stderr too. */
  stdoutReserved?: boolean;
}

/** Reports `error` and returns the exit code: 3 for a policy denial, else 1. */
export function reportError(error: unknown, options: ReportOptions): number {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const denial = error instanceof ApiError ? error.denial : undefined;
  const guidance = denial === undefined ? undefined : renderDenialGuidance(denial, options.command === undefined ? {} : { command: options.command });
  const code = error instanceof CodedError ? error.code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  if (options.format === 'json') {
    const body = {
      error: {
        code,
        message,
        ...(error instanceof ApiError && error.requestId !== undefined ? { requestId: error.requestId } : {}),
        ...(denial === undefined ? {} : { denial, guidance }),
      },
    };
    // Laid out as writeJson does (two-space indent, newline-terminated), then escaped.
    if (options.stdoutReserved === true) stderr.write(`${printableJson(JSON.stringify(body))}\n`);
    else stdout.write(`${printableJson(JSON.stringify(body, null, 2))}\n`);
  } else {
    // The server's words on one line; the CLI's own (a policy's errors, say) keep their lines.
    const shown = error instanceof ApiError ? printable(message) : printableLines(message);
    // A bug (anything but a coded error) says so without dumping internals on the user.
    writeLines(stderr, [guidance ?? `sentinel: ${error instanceof CodedError ? shown : `internal error: ${shown}`}`]);
  }
  return denial === undefined ? EXIT_ERROR : EXIT_DENIED;
}
