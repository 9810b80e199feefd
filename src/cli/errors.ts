/**
 * The CLI's errors. Its own failures (no API URL, a command that cannot start, a file
 * it cannot write, …) have codes of their own, a closed union separate from the API's
 * {@link ErrorCode}s; a failed API call carries the API's code, or one of these when
 * the API never answered usefully.
 */

import type { ErrorCode } from '../api/contract.js';
import type { Denial } from '../api/denial.js';
import { CodedError } from '../errors.js';

/** Every code the CLI raises itself; `--output json` errors carry them as they are. */
export const CLI_ERROR_CODES = [
  'NO_API_URL',
  'INVALID_API_URL',
  'NO_REGION',
  'INVALID_REGION',
  'NO_AWS_CREDENTIALS',
  'API_UNREACHABLE',
  'API_TIMEOUT',
  'API_FORBIDDEN',
  'API_BAD_RESPONSE',
  'NESTED_EXEC',
  'CREDENTIAL_PROCESS_LOOP',
  'COMMAND_NOT_FOUND',
  'COMMAND_NOT_EXECUTABLE',
  'COMMAND_FAILED_TO_START',
  'SERVER_PORT_IN_USE',
  'SERVER_START_FAILED',
  'CANNOT_READ_FILE',
  'CANNOT_WRITE_FILE',
  'INVALID_POLICY',
  'CONFIRMATION_REQUIRED',
  'NOT_CONFIRMED',
  'PROVISION_TIMEOUT',
] as const;
export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];

/** A failure of the CLI itself, or an API refusal passed on with the API's code. */
export class CliError extends CodedError<CliErrorCode | ErrorCode> {}

/**
 * A failed API call: the API's stable code (DESIGN.md error table), or `NO_AWS_CREDENTIALS`,
 * `API_UNREACHABLE`, `API_TIMEOUT`, `API_FORBIDDEN` (API Gateway refused the signature
 * before Sentinel saw the request), `API_BAD_RESPONSE`. `denial` carries the policy facts of a denial.
 */
export class ApiError extends CliError {
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly denial: Denial | undefined;

  constructor(code: CliErrorCode | ErrorCode, message: string, details: { status?: number; requestId?: string; denial?: Denial; cause?: unknown } = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.requestId = details.requestId;
    this.denial = details.denial;
  }
}

/** The API's answers that say a session is over already (ended, revoked or expired). */
export const SESSION_OVER: ReadonlySet<string> = new Set(['SESSION_ENDED', 'SESSION_REVOKED', 'SESSION_EXPIRED']);
