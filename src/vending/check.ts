/**
 * The server-mode re-check (DESIGN.md, Server-mode delivery; `POST /v1/sessions/{id}/check`):
 * is this session still the caller's, still active, and would the policy still allow
 * it? The policy is asked first (a refusal writes nothing), then one conditional write
 * proves the session's state and counts the access in the session's own request count.
 * No STS call, nothing secret returned, and so not counted by the rate limiter, which
 * bounds credentials issued: a re-check is one DynamoDB round trip.
 */

import type { CheckSessionRequest, CheckSessionResponse } from '../api/contract.js';
import type { Clock } from '../clock.js';
import { SentinelError } from '../errors.js';
import type { Caller } from '../identity/types.js';
import type { PolicySource } from '../policy/source.js';
import { checkClientSessionTable, checkSessionTable } from '../sessions/tables.js';
import type { SessionTableDirectory } from '../sessions/tables.js';
import type { SessionStore } from '../sessions/types.js';
import { decideAccess, grantsMayLift } from './plan.js';
import type { VendingSettings } from './plan.js';
import type { GrantSource } from './ports.js';

export interface CheckDeps {
  settings: VendingSettings;
  sessions: SessionStore;
  policies: PolicySource;
  sessionTables: SessionTableDirectory;
  clock: Clock;
  /** As for issuance: a session opened under an approval or break-glass stays allowed only while its grant is open. */
  grants?: GrantSource;
}

/**
 * Checks session `id` for its owner. Throws the refusal a refresh would get: the
 * policy's denial (with its facts), or the session's state error (`SESSION_REVOKED`,
 * `SESSION_ENDED`, `SESSION_EXPIRED`, `NOT_OWNER`, `NOT_FOUND`, `CONFLICT`).
 */
export async function checkSession(id: string, request: CheckSessionRequest, caller: Caller, deps: CheckDeps): Promise<CheckSessionResponse> {
  const { settings } = deps;
  const now = deps.clock.now();
  const table = request.sessionTable ?? settings.defaultSessionTable;
  if (table === undefined) throw new SentinelError('INVALID_REQUEST', "this deployment has no default session table: send the session's table as sessionTable");
  checkSessionTable(table, settings.tablePrefix);
  if (request.sessionTable !== undefined) await checkClientSessionTable(table, settings, deps.sessionTables);

  const loaded = await deps.policies.current(now);
  const input = { request: { profile: request.profile, mode: 'server' as const, sessionId: id, sessionTable: table }, caller, loaded, now, settings };
  let access = decideAccess(input);
  if (access.kind === 'refuse' && deps.grants !== undefined && grantsMayLift(access)) {
    const grants = await deps.grants.grantsFor({ user: caller.user, profile: request.profile, now });
    if (grants.length > 0) access = decideAccess({ ...input, grants });
  }
  if (access.kind === 'refuse') throw access.error;

  // The same conditional write as a refresh: active, the caller's, this profile, not expired.
  const session = await deps.sessions.refresh(table, { id, user: caller.user, profile: request.profile, now: now.toISOString() });
  return {
    session: { id: session.id, status: 'active', expiresAt: session.expiresAt, lastAccessAt: session.lastAccessAt, requestCount: session.requestCount },
    decision: { effect: 'allow', rule: access.decision.rule },
    policyVersion: loaded.version,
  };
}
