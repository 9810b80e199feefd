/**
 * The API side of `sentinel exec --server`: one server-mode session whose credentials
 * the endpoint holds and serves from memory, renewed in the background ahead of need,
 * re-checked at most once per interval, and ended when the child is done. The
 * decisions (what to answer, when to call the API, which failures end it) are the pure
 * functions of src/cli/exec/delivery.ts; this class keeps the state, runs the calls
 * and the one timer.
 */

import type { CredentialsRequest, CredentialsResponse, EndSessionResponse, VendedCredentials } from '../../api/contract.js';
import type { SentinelApi } from '../api/types.js';
import { CliError } from '../errors.js';
import { answerFor, DEFAULT_RECHECK_SECONDS, dutiesFor, failureKind, refreshDueAt, retryDelayMs } from './delivery.js';
import type { DeliveryState } from './delivery.js';

export interface ServerSessionOptions {
  profile: string;
  /** The table the user named (`--session-table` / `SENTINEL_SESSION_TABLE`). */
  sessionTable?: string | undefined;
  durationSeconds?: number | undefined;
  /** `--recheck`, in milliseconds; default 30 s. */
  recheckMs?: number | undefined;
  /**
   * Told why the endpoint stopped (a refusal of the API), once; and why it has nothing
   * to serve (the held credentials expired and could not be renewed), once until
   * credentials flow again. Failures it can ride out are not reported.
   */
  report?: ((error: unknown) => void) | undefined;
  /** Uniform in [0, 1): the jitter of retries. */
  random?: (() => number) | undefined;
}

/** The longest delay `setTimeout` takes (2^31 − 1 ms, about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A state that cannot happen: an answer with nothing to serve and no reason why. */
function nothingHeld(): CliError {
  return new CliError('INTERNAL', 'sentinel holds no credentials for the command (internal error)');
}

/** The session the API opened, as its answers name it. */
export interface SessionRef {
  id: string;
  table: string;
}

/** What `GET /session` of the endpoint shows: never a secret. */
export interface SessionDescription {
  profile: string;
  sessionId: string | null;
  sessionTable: string | null;
  region: string | null;
}

/**
 * The first answer opens the session (or says none is tracked: `session: null`; a
 * later one may start tracking, which is then followed). A credential request of the
 * child is answered from the held credentials as long as they are unexpired, whatever
 * is in flight; only with nothing to serve does it wait, for the one issuance on its
 * way. At most one issuance and one re-check are in flight at any time, however many
 * requests arrive: an SDK's burst of parallel clients costs no API call at all.
 */
export class ServerSession {
  readonly #api: Pick<SentinelApi, 'credentials' | 'checkSession' | 'endSession'>;
  readonly #options: ServerSessionOptions;
  readonly #recheckMs: number;
  readonly #random: () => number;
  readonly #state: DeliveryState = {
    held: undefined,
    tracked: false,
    verifiedAtMs: undefined,
    lastRequestAtMs: Date.now(),
    issuing: false,
    checking: false,
    issueRetryAtMs: undefined,
    checkRetryAtMs: undefined,
    issueFailure: undefined,
    stopped: undefined,
  };
  #current: SessionRef | undefined;
  #region: string | undefined;
  /** The issuance on its way; never rejects (its outcome is in the state). */
  #issuing: Promise<void> | undefined;
  #issueFailures = 0;
  #checkFailures = 0;
  /** A transient failure was reported; cleared when credentials flow again. */
  #reportedFailure = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(api: Pick<SentinelApi, 'credentials' | 'checkSession' | 'endSession'>, options: ServerSessionOptions) {
    this.#api = api;
    this.#options = options;
    this.#recheckMs = options.recheckMs ?? DEFAULT_RECHECK_SECONDS * 1000;
    this.#random = options.random ?? Math.random;
  }

  /** The tracked session, once an answer named one. */
  get session(): SessionRef | undefined {
    return this.#current;
  }

  /** What the endpoint's `GET /session` shows. */
  describe(): SessionDescription {
    return { profile: this.#options.profile, sessionId: this.#current?.id ?? null, sessionTable: this.#current?.table ?? null, region: this.#region ?? null };
  }

  /**
   * The first issuance, before the command starts; starts the background work. A
   * refusal is thrown and reported by nobody here: the caller reports it before the
   * command runs.
   */
  async open(): Promise<CredentialsResponse> {
    const response = await this.#api.credentials(this.#request());
    this.#accept(response);
    this.#state.lastRequestAtMs = Date.now();
    this.#tick();
    return response;
  }

  /**
   * Credentials for one request of the child: the held ones while unexpired, else those
   * of the issuance this request starts or finds on its way. Throws the refusal that
   * stopped the endpoint, or the failure that left it with nothing to serve.
   */
  async credentials(): Promise<VendedCredentials> {
    this.#state.lastRequestAtMs = Date.now();
    // Starts what is overdue (a timer runs late on a machine that slept) and, with nothing to serve, an issuance.
    this.#tick(true);
    for (;;) {
      const answer = answerFor(this.#state, Date.now());
      if (answer.kind === 'serve') return answer.credentials;
      if (answer.kind === 'wait') {
        if (this.#issuing === undefined) throw nothingHeld();
        await this.#issuing;
        continue;
      }
      if (answer.kind === 'fail') this.#reportFailure(answer.error);
      throw answer.error ?? nothingHeld();
    }
  }

  /** Stops the background work: no API call is started after this (one on its way is left to finish, unheeded). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Ends the tracked session through the API, so it shows as ended rather than active
   * until it expires. Resolves to undefined when no session is tracked.
   */
  async end(): Promise<EndSessionResponse | undefined> {
    const session = this.#current;
    if (session === undefined) return undefined;
    return this.#api.endSession(session.id, { sessionTable: session.table });
  }

  /** Starts the calls that are due and sets the timer for the next one. */
  #tick(demand = false): void {
    if (this.#closed) return;
    const duties = dutiesFor(this.#state, Date.now(), this.#recheckMs, demand);
    if (duties.issue) this.#issue();
    if (duties.check) this.#check();
    const next = duties.issue || duties.check ? dutiesFor(this.#state, Date.now(), this.#recheckMs).wakeAtMs : duties.wakeAtMs;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (next === undefined) return;
    // Node fires a longer timeout at once (with a warning): wake up at the longest and look again.
    this.#timer = setTimeout(() => this.#tick(), Math.min(MAX_TIMEOUT_MS, Math.max(0, next - Date.now())));
    // The child keeps sentinel alive; the timer must not, should anything leave it behind.
    this.#timer.unref();
  }

  #issue(): void {
    this.#state.issuing = true;
    this.#issuing = this.#api
      .credentials(this.#request())
      .then(
        (response) => {
          this.#state.issuing = false;
          if (!this.#closed) this.#accept(response);
        },
        (error: unknown) => {
          this.#state.issuing = false;
          this.#failed('issue', error);
        },
      )
      .finally(() => {
        this.#issuing = undefined;
        this.#tick();
      });
  }

  #check(): void {
    const session = this.#current;
    if (session === undefined) return;
    this.#state.checking = true;
    this.#api
      .checkSession(session.id, { profile: this.#options.profile, sessionTable: session.table })
      .then(
        () => {
          this.#state.checking = false;
          this.#state.verifiedAtMs = Date.now();
          this.#state.checkRetryAtMs = undefined;
          this.#checkFailures = 0;
        },
        (error: unknown) => {
          this.#state.checking = false;
          this.#failed('check', error);
        },
      )
      .finally(() => this.#tick());
  }

  /** An issuance came back: hold its credentials, renew them at their time; it confirmed the session too. */
  #accept(response: CredentialsResponse): void {
    const now = Date.now();
    const expiresAtMs = Date.parse(response.credentials.expiration);
    const state = this.#state;
    state.held = { credentials: response.credentials, receivedAtMs: now, expiresAtMs, refreshAtMs: refreshDueAt(now, expiresAtMs) };
    state.verifiedAtMs = now;
    state.issueRetryAtMs = undefined;
    state.checkRetryAtMs = undefined;
    state.issueFailure = undefined;
    this.#issueFailures = 0;
    this.#checkFailures = 0;
    this.#reportedFailure = false;
    this.#region = response.region;
    // A policy change can start tracking mid-run: refresh and re-check that session from then on.
    if (this.#current === undefined && response.session !== null) this.#current = { id: response.session.id, table: response.session.table };
    state.tracked = this.#current !== undefined;
  }

  /** A refusal stops the endpoint; anything else is tried again after a backoff, the held credentials served meanwhile. */
  #failed(call: 'issue' | 'check', error: unknown): void {
    if (this.#closed || this.#state.stopped !== undefined) return;
    if (failureKind(error) === 'refusal') {
      this.#state.stopped = error;
      clearTimeout(this.#timer);
      this.#options.report?.(error);
      return;
    }
    const now = Date.now();
    if (call === 'issue') {
      this.#issueFailures += 1;
      this.#state.issueFailure = error;
      this.#state.issueRetryAtMs = now + retryDelayMs(this.#issueFailures, this.#random);
    } else {
      this.#checkFailures += 1;
      // Never further apart than the interval itself.
      this.#state.checkRetryAtMs = now + retryDelayMs(this.#checkFailures, this.#random, this.#recheckMs);
    }
  }

  #reportFailure(error: unknown): void {
    if (this.#reportedFailure || error === undefined) return;
    this.#reportedFailure = true;
    this.#options.report?.(error);
  }

  /** A refresh of the tracked session, or, without one (none yet, or the API tracks none), the first request again. */
  #request(): CredentialsRequest {
    const { profile, sessionTable, durationSeconds } = this.#options;
    const duration = durationSeconds === undefined ? {} : { durationSeconds };
    return this.#current === undefined
      ? { profile, mode: 'server', ...(sessionTable === undefined ? {} : { sessionTable }), ...duration }
      : { profile, mode: 'server', sessionId: this.#current.id, sessionTable: this.#current.table, ...duration };
  }
}
