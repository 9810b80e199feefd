/**
 * Sentinel's error classes. Every error raised on purpose carries a stable `code`:
 * callers, the HTTP error table and the CLI's exit codes key on it. `message` is safe
 * to show a user (no secrets, no AWS error text); anything else belongs in `cause`,
 * which only ever reaches a log.
 *
 * - {@link SentinelError}: what an API route may answer with. Its code is the closed
 *   {@link ErrorCode} union, so a new code does not compile until the HTTP stack's
 *   status table (src/http/stack.ts) has a status for it.
 * - {@link SetupError}: failures outside any request (configuration at cold start, the
 *   local stack's own setup). They never become an HTTP answer.
 * - The CLI's own codes are a separate union (src/cli/errors.ts).
 */

import type { ErrorCode } from './api/contract.js';
import type { Denial } from './api/denial.js';

/** The shape every coded error shares; `Code` is the closed set of its codes. */
export abstract class CodedError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export interface SentinelErrorOptions {
  cause?: unknown;
  /** Policy facts of a refusal: the error body's `denial`, from which the CLI renders what would work. */
  denial?: Denial;
  /** Seconds until a retry may help: the `Retry-After` header of a 429 or 503. */
  retryAfterSeconds?: number;
}

/** An error an API route answers with: `{ error: { code, message, requestId, denial? } }`. */
export class SentinelError extends CodedError<ErrorCode> {
  readonly denial: Denial | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: SentinelErrorOptions = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.denial = options.denial;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A dependency (DynamoDB, STS, IAM) failed or answered something unusable: fail closed, 503. */
export class UnavailableError extends SentinelError {
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super('UNAVAILABLE', message, { ...options, retryAfterSeconds: options.retryAfterSeconds ?? 1 });
  }
}

/** Codes of failures outside any request. */
export type SetupErrorCode =
  | 'INVALID_CONFIG'
  | 'JAVA_NOT_FOUND'
  | 'DYNAMODB_LOCAL_CHECKSUM_MISMATCH'
  | 'DYNAMODB_LOCAL_START_FAILED'
  | 'DYNAMODB_LOCAL_DOWNLOAD_FAILED'
  | 'DYNAMODB_LOCAL_INSTALL_FAILED';

/** Configuration refused at cold start, or the local stack unable to set itself up. */
export class SetupError extends CodedError<SetupErrorCode> {}
