/**
 * The one base class for every error Sentinel raises on purpose.
 *
 * `code` is stable: callers, the HTTP error table and the CLI's exit codes key on it.
 * `message` is safe to show a user (no secrets, no AWS error text); anything else
 * belongs in `cause`, which only ever reaches a log.
 */
export class SentinelError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
