/**
 * The API side of `sentinel exec --server`: one server-mode session, asked again for
 * every credential request of the child, and ended when the child is done.
 */

import type { CredentialsRequest, CredentialsResponse, EndSessionResponse } from '../../api/contract.js';
import type { SentinelApi } from '../api/types.js';

export interface ServerSessionOptions {
  profile: string;
  /** The table the user named (`--session-table` / `SENTINEL_SESSION_TABLE`). */
  sessionTable?: string | undefined;
  durationSeconds?: number | undefined;
}

/** The session the API opened, as its answers name it. */
export interface SessionRef {
  id: string;
  table: string;
}

/**
 * Asks the API for server-mode credentials. The first answer opens the session (or
 * says none is tracked: `session: null`); every later request refreshes that session
 * by id, so the API evaluates the policy again and a revoke or a policy change takes
 * effect at the child's next request. Requests that arrive while one is on its way
 * share its answer: an SDK's burst of parallel clients costs one API call.
 */
export class ServerSession {
  private current: SessionRef | undefined;
  private inflight: Promise<CredentialsResponse> | undefined;

  constructor(
    private readonly api: Pick<SentinelApi, 'credentials' | 'endSession'>,
    private readonly options: ServerSessionOptions,
  ) {}

  /** The tracked session, once an answer named one. */
  get session(): SessionRef | undefined {
    return this.current;
  }

  /** Fresh credentials from the API, or its refusal (an `ApiError`). */
  fetch(): Promise<CredentialsResponse> {
    this.inflight ??= this.ask().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /**
   * Ends the tracked session through the API, so it shows as ended rather than active
   * until it expires. Resolves to undefined when no session is tracked.
   */
  async end(): Promise<EndSessionResponse | undefined> {
    const session = this.current;
    if (session === undefined) return undefined;
    return this.api.endSession(session.id, { sessionTable: session.table });
  }

  private async ask(): Promise<CredentialsResponse> {
    const { profile, sessionTable, durationSeconds } = this.options;
    const duration = durationSeconds === undefined ? {} : { durationSeconds };
    // Without a tracked session (none yet, or the API tracks none for this profile)
    // the request is the first one again; the table named by the user still applies.
    const request: CredentialsRequest =
      this.current === undefined
        ? { profile, mode: 'server', ...(sessionTable === undefined ? {} : { sessionTable }), ...duration }
        : { profile, mode: 'server', sessionId: this.current.id, sessionTable: this.current.table, ...duration };
    const response = await this.api.credentials(request);
    // A policy change can start tracking mid-run: refresh that session from then on.
    if (this.current === undefined && response.session !== null) {
      this.current = { id: response.session.id, table: response.session.table };
    }
    return response;
  }
}
