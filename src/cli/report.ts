/**
 * How a failed command is reported: one clear line (or, for a policy denial, the
 * guidance that names the command that would work) on stderr, or with
 * `--output json` the structured error on stdout; and the exit code.
 */

import { ApiError } from './api/types.js';
import { EXIT_DENIED, EXIT_ERROR } from './exitCodes.js';
import { renderDenialGuidance } from './guidance.js';
import type { OutputFormat } from './output.js';
import { writeErr, writeJson } from './output.js';
import { CodedError } from '../errors.js';

export interface ReportOptions {
  format: OutputFormat;
  /** The command the user wants to run, put in place of `<cmd>` in the guidance. */
  command?: readonly string[];
  /** Keep stdout for results only (credential_process): JSON errors go to stderr too. */
  stdoutReserved?: boolean;
}

/** Reports `error` and returns the exit code: 3 for a policy denial, else 1. */
export function reportError(error: unknown, options: ReportOptions): number {
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
    if (options.stdoutReserved === true) process.stderr.write(`${JSON.stringify(body)}\n`);
    else writeJson(body);
  } else {
    writeErr([guidance ?? `sentinel: ${error instanceof CodedError ? message : `internal error: ${message}`}`]);
  }
  return denial === undefined ? EXIT_ERROR : EXIT_DENIED;
}
