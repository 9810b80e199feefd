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

/**
 * A refusal the caller can act on later: `RATE_LIMITED` or `UNAVAILABLE`.
 * `retryAfterSeconds` becomes the `Retry-After` header.
 */
export class RetryableError extends SentinelError {
  readonly retryAfterSeconds: number;

  constructor(code: 'RATE_LIMITED' | 'UNAVAILABLE', message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A dependency (DynamoDB, STS) failed or answered something unusable: fail closed, 503. */
export class UnavailableError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super('UNAVAILABLE', message, options?.retryAfterSeconds ?? 1, options);
  }
}
