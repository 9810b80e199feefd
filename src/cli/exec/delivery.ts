/**
 * The decisions of `sentinel exec --server`'s endpoint, as pure functions of what it
 * holds and the time (src/cli/exec/serverSession.ts carries them out): what to answer
 * a credential request of the child, when to get new credentials, when to re-check
 * the session, how long to wait after a failure, and which failures end the session.
 *
 * The figures come from how the SDKs cache what the endpoint gives them:
 *
 * - botocore (the AWS CLI, boto3) keeps container credentials in a
 *   `RefreshableCredentials` and asks the endpoint again on **every** read of it (each
 *   request it signs) once fewer than 15 minutes remain (its advisory window; a
 *   failure there is logged and the old credentials used), and blocks and fails the
 *   read on an error once fewer than 10 minutes remain (its mandatory window).
 * - The JavaScript SDK v3 (`fromNodeProviderChain`, `fromHttp`) and the Go SDK ask
 *   again once fewer than 5 minutes remain, and fail then.
 *
 * So the endpoint renews what it holds while more than 10 minutes (plus a margin)
 * remain: the credentials it serves never enter any SDK's mandatory window, and an
 * SDK never has to wait for the API. With credentials long enough for it, it renews
 * before 15 minutes remain instead, so botocore stops asking it at all until then.
 * It never serves credentials past their expiry, and always their real expiry.
 */

import { ApiError, CLI_ERROR_CODES } from '../errors.js';
import type { VendedCredentials } from '../../api/contract.js';

/** The default re-check interval (`--recheck`): 30 s. */
export const DEFAULT_RECHECK_SECONDS = 30;
/** The shortest `--recheck`: each re-check is an API call and a DynamoDB write, counted by the rate limiter. */
export const MIN_RECHECK_SECONDS = 5;
/** The longest `--recheck`; a refresh re-checks the session too, so longer intervals buy little. */
export const MAX_RECHECK_SECONDS = 3600;

/** botocore's mandatory refresh window: inside it every read blocks on the endpoint and an error fails the AWS call. */
export const BOTOCORE_MANDATORY_WINDOW_MS = 10 * 60_000;
/** botocore's advisory refresh window: inside it botocore asks the endpoint before every request it signs. */
export const BOTOCORE_ADVISORY_WINDOW_MS = 15 * 60_000;
/** How far outside an SDK window the endpoint renews: time for one refresh, its retries and a clock a little off. */
const WINDOW_MARGIN_MS = 60_000;
/**
 * Renewing before botocore's advisory window is worth it only when the credentials
 * still last this long after it (else the endpoint would call STS every few minutes to
 * save botocore calls that cost nothing but a loopback round trip).
 */
const QUIET_MIN_PERIOD_MS = 10 * 60_000;
/** Never two issuances closer than this, whatever comes back (credentials cut short by the session's lifetime cap, a clock far off). */
export const MIN_REFRESH_PERIOD_MS = 60_000;
/** First retry after a failure waits about this long; each further one twice as long, up to the cap. */
const RETRY_BASE_MS = 1_000;
/** The longest wait between two attempts to get new credentials. */
const RETRY_CAP_MS = 30_000;

/**
 * How long before expiry to renew credentials that lasted `lifetimeMs` when they
 * arrived: 16 minutes (outside botocore's advisory window) when they last at least 26,
 * else 11 minutes (outside its mandatory window and the JS/Go SDKs' 5 minutes).
 * 15-minute credentials (the default `max_server_duration`) are renewed every 4 minutes.
 */
export function refreshLeadMs(lifetimeMs: number): number {
  const quiet = BOTOCORE_ADVISORY_WINDOW_MS + WINDOW_MARGIN_MS;
  return lifetimeMs >= quiet + QUIET_MIN_PERIOD_MS ? quiet : BOTOCORE_MANDATORY_WINDOW_MS + WINDOW_MARGIN_MS;
}

/** When to renew credentials received at `receivedAtMs` that expire at `expiresAtMs`: never after they expire. */
export function refreshDueAt(receivedAtMs: number, expiresAtMs: number): number {
  const lead = refreshLeadMs(expiresAtMs - receivedAtMs);
  return Math.min(expiresAtMs, Math.max(receivedAtMs + MIN_REFRESH_PERIOD_MS, expiresAtMs - lead));
}

/**
 * The wait before attempt `failures + 1` after `failures` failures in a row: doubling
 * from 1 s up to `capMs`, the upper half of it at random ("equal jitter": never next to
 * nothing, so a failing API is not asked in a tight loop, and many endpoints do not
 * retry in step).
 */
export function retryDelayMs(failures: number, random: () => number, capMs = RETRY_CAP_MS): number {
  const ceiling = Math.min(capMs, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The CLI's own codes: a failure on this side (signing, the network, an answer that is not the API's), never a decision of the API. */
const CLIENT_CODES: ReadonlySet<string> = new Set(CLI_ERROR_CODES);

/**
 * `refusal`: the API decided — a 4xx answer with one of its own codes other than 429
 * (the session revoked, ended or expired, the policy now denies, the profile gone, …);
 * it will not change by asking again, so the endpoint stops. `transient`: anything else
 * (no answer, a timeout, 5xx, 429, API Gateway refusing the signature because the
 * user's own credentials ran out, a bug): the held credentials are still good, so the
 * endpoint keeps serving them and tries again later.
 */
export function failureKind(error: unknown): 'refusal' | 'transient' {
  const decided = error instanceof ApiError && error.status !== undefined && error.status >= 400 && error.status < 500 && error.status !== 429;
  return decided && !CLIENT_CODES.has(error.code) ? 'refusal' : 'transient';
}

/** Credentials the endpoint holds. */
export interface Held {
  credentials: VendedCredentials;
  receivedAtMs: number;
  expiresAtMs: number;
  /** {@link refreshDueAt} of them. */
  refreshAtMs: number;
}

/** Everything the decisions look at. */
export interface DeliveryState {
  held: Held | undefined;
  /** A session is tracked: there is something to re-check. */
  tracked: boolean;
  /** When the API last confirmed the session (an issuance or a re-check succeeded). */
  verifiedAtMs: number | undefined;
  /** When the child last asked the endpoint (or the command started). */
  lastRequestAtMs: number;
  issuing: boolean;
  checking: boolean;
  /** After a transient failure: no new attempt before then. */
  issueRetryAtMs: number | undefined;
  checkRetryAtMs: number | undefined;
  /** The last transient failure of an issuance, until one succeeds. */
  issueFailure: unknown;
  /** The refusal that stopped the endpoint. */
  stopped: unknown;
}

/** What to answer one credential request of the child, now. */
export type Answer =
  | { kind: 'serve'; credentials: VendedCredentials }
  /** The endpoint has stopped: the API refused. */
  | { kind: 'refuse'; error: unknown }
  /** Nothing usable is held and an issuance is on its way: its outcome is the answer. */
  | { kind: 'wait' }
  /** Nothing usable is held and the last attempt failed; the next one comes later. */
  | { kind: 'fail'; error: unknown };

/** Held credentials while they are unexpired, whatever is in flight: a request never waits on the API while there is something to serve. */
export function answerFor(state: DeliveryState, nowMs: number): Answer {
  if (state.stopped !== undefined) return { kind: 'refuse', error: state.stopped };
  if (state.held !== undefined && nowMs < state.held.expiresAtMs) return { kind: 'serve', credentials: state.held.credentials };
  if (state.issuing) return { kind: 'wait' };
  return { kind: 'fail', error: state.issueFailure };
}

/** The API calls to start now, and when to look again (undefined: only when something completes or the child asks). */
export interface Duties {
  issue: boolean;
  check: boolean;
  wakeAtMs: number | undefined;
}

/**
 * Background work. Renew at {@link refreshDueAt} while the child uses the endpoint:
 * once it has not asked for longer than the held credentials last, it holds none of
 * them any more, so nothing is renewed for nobody (its next request starts again,
 * waiting for that one issuance). Re-check every `recheckMs` after the last
 * confirmation (an issuance confirms too) while there is anything to serve, so what
 * is served was confirmed at most one interval (and one re-check) ago. Each not before
 * its retry time; one of each at a time, and no re-check while an issuance is on its
 * way (it re-checks too). Nothing once stopped. A `demand` (a request that found
 * nothing to serve) asks for an issuance now, even before any credentials were held
 * (the first one of `--lazy`).
 */
export function dutiesFor(state: DeliveryState, nowMs: number, recheckMs: number, demand = false): Duties {
  if (state.stopped !== undefined) return { issue: false, check: false, wakeAtMs: undefined };
  const held = state.held;
  const usable = held !== undefined && nowMs < held.expiresAtMs;
  const notBefore = (at: number, retryAt: number | undefined): number => Math.max(at, retryAt ?? at);

  let issueAt: number | undefined;
  if (held !== undefined && nowMs - state.lastRequestAtMs <= held.expiresAtMs - held.receivedAtMs) issueAt = notBefore(held.refreshAtMs, state.issueRetryAtMs);
  if (demand && !usable) issueAt = notBefore(nowMs, state.issueRetryAtMs);
  const checkAt = state.tracked && usable && state.verifiedAtMs !== undefined ? notBefore(state.verifiedAtMs + recheckMs, state.checkRetryAtMs) : undefined;

  const issue = !state.issuing && issueAt !== undefined && nowMs >= issueAt;
  const check = !state.issuing && !issue && !state.checking && checkAt !== undefined && nowMs >= checkAt;
  const later: number[] = [];
  if (!state.issuing && !issue && issueAt !== undefined) later.push(issueAt);
  if (!state.issuing && !issue && !state.checking && !check && checkAt !== undefined) later.push(checkAt);
  return { issue, check, wakeAtMs: later.length === 0 ? undefined : Math.min(...later) };
}
