/**
 * The one translation of DynamoDB failures into Sentinel errors (STYLE.md 17): the same
 * failure becomes the same code, and every 503 says when to come back, whichever
 * adapter met it. Adapters keep what only they know (what a failed condition means,
 * a provisioning call's special answers) and hand everything else to
 * {@link dynamoFailure}.
 *
 * Messages name the store generically; AWS's text, table names and error codes stay in
 * `cause`, which only reaches the log.
 */

import type { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SentinelError, UnavailableError } from '../errors.js';

/** A failed condition, as DynamoDB reports it for a single write or for a transaction. */
export type ConditionFailure = ConditionalCheckFailedException | TransactionCanceledException;

/**
 * Network blips and DynamoDB's own faults clear quickly, and the SDK has already
 * retried (src/aws/clients.ts): a second is enough before the caller tries again.
 */
const TRANSIENT_RETRY_AFTER_SECONDS = 1;
/** Throttling means too many requests right now: come back a little later than after a blip, not at once. */
const THROTTLED_RETRY_AFTER_SECONDS = 2;
/**
 * A missing table or a refused identity is a deployment problem that someone has to
 * fix; nothing changes within a second, and callers retrying every second only add load.
 */
const DEPLOYMENT_RETRY_AFTER_SECONDS = 30;

/** Credentials or permissions DynamoDB refused, as DynamoDB, STS-style auth and the SDK's credential chain name them. */
const AUTH_FAILURES: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'RequestExpired',
  'AuthFailure',
  'CredentialsProviderError',
]);

/** Rate and capacity refusals. `LimitExceededException` is DynamoDB's limit on concurrent table operations: a rate. */
const THROTTLING: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'ThrottledException',
]);

/** DynamoDB's own faults, by name (most also carry a 5xx status, which is checked as well). */
const SERVER_FAILURES: ReadonlySet<string> = new Set(['InternalServerError', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException']);

/** Requests that never got an answer: the SDK's timeouts (src/aws/clients.ts) and an aborted request. */
const NETWORK_FAILURES: ReadonlySet<string> = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);

/** Node's socket and DNS error codes. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Writes that met another write to the same item in flight (a transaction, or another Region's write). */
const CONTENTION: ReadonlySet<string> = new Set(['TransactionConflictException', 'ReplicatedWriteConflictException']);

/** Per-item reasons of a cancelled transaction that a later retry clears (contention, capacity). */
const RETRYABLE_CANCELLATIONS: ReadonlySet<string> = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * True for DynamoDB's answer to a failed condition: `ConditionalCheckFailedException`,
 * or a `TransactionCanceledException` one of whose items failed its condition. For
 * adapters to which a failed condition is not an error at all (an idempotent write
 * already done) or needs a read to explain; the others pass a mapping to
 * {@link dynamoFailure}.
 */
export function isConditionFailure(error: unknown): error is ConditionFailure {
  const name = nameOf(error);
  if (name === 'ConditionalCheckFailedException') return true;
  return name === 'TransactionCanceledException' && cancellationCodes(error).includes('ConditionalCheckFailed');
}

/**
 * The SentinelError for a DynamoDB call that failed with `error`. Returns it (call
 * sites write `throw dynamoFailure(error, …)`); never throws.
 *
 * - A SentinelError is returned as it is, so an adapter may wrap a whole block.
 * - A failed condition becomes `onConditionFailure(failure)` (pass the failure on as
 *   `cause`); without a mapping it is `INTERNAL`: the caller did not expect one.
 * - A missing table or refused credentials: `UNAVAILABLE`, Retry-After 30 s.
 * - Throttling: `UNAVAILABLE`, Retry-After 2 s.
 * - DynamoDB's faults (5xx), timeouts, network errors, transaction contention, an
 *   answer the SDK could not deserialise: `UNAVAILABLE`, Retry-After 1 s.
 * - `ValidationException` and anything else: `INTERNAL`.
 *
 * Every message is generic (`${store} is unavailable`, `${store} rejected the
 * request`); the original error is the `cause`.
 *
 * @param store what failed, as a caller may read it: `'the session store'`.
 */
export function dynamoFailure(error: unknown, store: string, onConditionFailure?: (failure: ConditionFailure) => SentinelError): SentinelError {
  // Already translated (by an inner call, or an adapter's own state error): translating again would bury it.
  if (error instanceof SentinelError) return error;
  if (isConditionFailure(error)) {
    // Only the caller knows what its condition guarded; a condition it did not expect to fail is a bug.
    return onConditionFailure === undefined ? rejected(error, store) : onConditionFailure(error);
  }
  const retryAfterSeconds = unavailableFor(error);
  if (retryAfterSeconds === undefined) return rejected(error, store);
  return new UnavailableError(`${store} is unavailable`, { cause: error, retryAfterSeconds });
}

/** A request DynamoDB refused for what it asked (ValidationException and the like) or a failure nobody planned for: a bug, 500. */
function rejected(error: unknown, store: string): SentinelError {
  return new SentinelError('INTERNAL', `${store} rejected the request`, { cause: error });
}

/** Seconds until a retry may help when `error` is a dependency failure (503); undefined when it is not. */
function unavailableFor(error: unknown): number | undefined {
  const name = nameOf(error);
  const metadata = property(error, '$metadata');
  const status = property(metadata, 'httpStatusCode');
  // The table is not there: a deployment without it (or one deleted); retrying soon will not create it.
  if (name === 'ResourceNotFoundException') return DEPLOYMENT_RETRY_AFTER_SECONDS;
  // DynamoDB does not accept the function's identity: a role or credential problem someone must fix.
  if (AUTH_FAILURES.has(name)) return DEPLOYMENT_RETRY_AFTER_SECONDS;
  // Over capacity or over a rate: the SDK's own marking (429, the retryable-throttling trait) counts as well.
  if (THROTTLING.has(name) || status === 429 || property(property(error, '$retryable'), 'throttling') === true) {
    return THROTTLED_RETRY_AFTER_SECONDS;
  }
  // DynamoDB's own fault: it clears without anyone's help.
  if (SERVER_FAILURES.has(name) || (typeof status === 'number' && status >= 500) || property(error, '$fault') === 'server') {
    return TRANSIENT_RETRY_AFTER_SECONDS;
  }
  // No answer arrived (timeout, reset, refused connection, DNS, abort): the network failed, not the request.
  if (NETWORK_FAILURES.has(name) || NETWORK_CODES.has(String(property(error, 'code')))) return TRANSIENT_RETRY_AFTER_SECONDS;
  // Another write held the item for the moment this one was made: the contention is over by the retry.
  if (CONTENTION.has(name)) return TRANSIENT_RETRY_AFTER_SECONDS;
  // An answer the SDK could not read (a 200 cut short, garbled on the way): DynamoDB answered something
  // unusable, not a request of ours it refused. The SDK's deserializer attaches the raw `$response` to
  // such an error; DynamoDB's own (modeled) errors carry `$fault` instead.
  if (property(error, '$response') !== undefined && property(error, '$fault') === undefined) return TRANSIENT_RETRY_AFTER_SECONDS;
  // A transaction cancelled only by contention or capacity (a failed condition was handled above): as those are.
  if (name === 'TransactionCanceledException') return cancelledFor(error);
  return undefined;
}

/** A cancelled transaction is a dependency failure only when every item that failed did so for a reason a retry clears. */
function cancelledFor(error: unknown): number | undefined {
  const reasons = cancellationCodes(error).filter((code) => code !== 'None');
  if (reasons.length === 0 || !reasons.every((code) => RETRYABLE_CANCELLATIONS.has(code))) return undefined;
  return reasons.every((code) => code === 'TransactionConflict') ? TRANSIENT_RETRY_AFTER_SECONDS : THROTTLED_RETRY_AFTER_SECONDS;
}

/** The per-item reasons of a cancelled transaction, in TransactItems order (`None` where an item was fine). */
function cancellationCodes(error: unknown): string[] {
  const reasons = property(error, 'CancellationReasons');
  if (!Array.isArray(reasons)) return [];
  return reasons.map((reason: unknown) => {
    const code = property(reason, 'Code');
    return typeof code === 'string' ? code : 'None';
  });
}

function nameOf(error: unknown): string {
  const name = property(error, 'name');
  return typeof name === 'string' ? name : '';
}

/** One property of a value of unknown shape (an SDK error, a socket error, or whatever was thrown). */
function property(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
