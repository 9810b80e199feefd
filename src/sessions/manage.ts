/**
 * Listing, showing and revoking sessions (DESIGN.md, Revocation; docs/api.md, Sessions;
 * docs/revocation.md). A revocation takes effect at the API at once (a refresh or
 * re-check of a revoked session is refused) and at AWS once the deny written into the
 * profile's role has propagated; the ledger (src/sessions/ledger.ts) records the AWS
 * side before the session is revoked, so the sweep can finish whatever a revocation
 * left pending.
 *
 * Listings always read an index with a Query (`by-user`, `by-profile`), never a Scan:
 * a non-admin reads their own partition; an admin must name a user or a profile.
 */

import type {
  ListSessionsQuery,
  ListSessionsResponse,
  RevocationAwsSide,
  RevokeSessionResponse,
  RevokeSessionsRequest,
  RevokeSessionsResponse,
  SessionView,
} from '../api/contract.js';
import { SESSION_PAGE_DEFAULT, SESSION_PAGE_MAX } from '../api/constants.js';
import { SentinelError } from '../errors.js';
import type { Caller } from '../identity/types.js';
import type { Notifier, SentinelEvent } from '../notify/events.js';
import { denyAtAws, type AwsSideDeps } from './awsSide.js';
import type { CursorCodec, CursorScope } from './cursor.js';
import { checkClientSessionTable } from './tables.js';
import type { SessionTableDirectory } from './tables.js';
import { effectiveStatus } from './types.js';
import type { SessionIndex, SessionRecord, SessionStore } from './types.js';

export interface SessionAdminDeps {
  sessions: SessionStore;
  sessionTables: SessionTableDirectory;
  settings: { tablePrefix: string; defaultSessionTable?: string };
  cursors: CursorCodec;
}

/** What the revoke routes need beyond the table: the ledger, the role revoker, the log, and where events go. */
export type RevocationDeps = SessionAdminDeps & AwsSideDeps & { notifier?: Notifier };

/** The most sessions one bulk revocation call revokes; the answer's cursor goes on. */
export const REVOKE_BATCH = 100;

/** The record as the API shows it: camelCase, the effective status at `now`, and its table. */
export function sessionView(session: SessionRecord, table: string, now: string): SessionView {
  const { id, ...rest } = session;
  return { id, table, ...rest, status: effectiveStatus(session, now) };
}

/** The table a request names (checked against the registry) or the deployment's default. */
export async function sessionTable(requested: string | undefined, deps: Pick<SessionAdminDeps, 'sessionTables' | 'settings'>): Promise<string> {
  const table = requested ?? deps.settings.defaultSessionTable;
  if (table === undefined) throw new SentinelError('INVALID_REQUEST', 'this deployment has no default session table: send the table as sessionTable');
  await checkClientSessionTable(table, deps.settings, deps.sessionTables);
  return table;
}

/**
 * `GET /v1/sessions`. A non-admin reads the `by-user` index with their own name (a
 * `user` naming someone else is `NOT_ADMIN`); an admin names a `user` (`by-user`,
 * `profile` then filters) or a `profile` (`by-profile`). With neither, an admin is
 * refused: listing everything would need a Scan.
 */
export async function listSessions(query: ListSessionsQuery, caller: Caller, admin: boolean, now: Date, deps: SessionAdminDeps): Promise<ListSessionsResponse> {
  if (!admin && query.user !== undefined && query.user !== caller.user) {
    throw new SentinelError('NOT_ADMIN', `only admins may list the sessions of other users; "${caller.user}" is not in the policy's admins`);
  }
  const user = admin ? query.user : caller.user;
  if (user === undefined && query.profile === undefined) {
    throw new SentinelError('INVALID_REQUEST', 'name a user or a profile: listing every session would need a Scan of the table');
  }
  const table = await sessionTable(query.sessionTable, deps);
  const index: SessionIndex = user === undefined ? 'by-profile' : 'by-user';
  const key = user ?? (query.profile as string);
  const since = query.since === undefined ? undefined : new Date(query.since).toISOString();
  const limit = Math.min(query.limit ?? SESSION_PAGE_DEFAULT, SESSION_PAGE_MAX);
  const scope: CursorScope = {
    op: 'list',
    caller: caller.user,
    table,
    index,
    key,
    profile: index === 'by-user' ? (query.profile ?? null) : null,
    status: query.status ?? null,
    since: since ?? null,
    limit,
  };
  const startKey = query.cursor === undefined ? undefined : deps.cursors.open(query.cursor, scope);
  const at = now.toISOString();
  const page = await deps.sessions.list(table, {
    index,
    key,
    ...(query.status === undefined ? {} : { statuses: [query.status] }),
    ...(index === 'by-user' && query.profile !== undefined ? { also: { profile: query.profile } } : {}),
    ...(since === undefined ? {} : { since }),
    limit,
    now: at,
    ...(startKey === undefined ? {} : { startKey }),
  });
  return {
    sessions: page.sessions.map((session) => sessionView(session, table, at)),
    ...(page.next === undefined ? {} : { cursor: deps.cursors.seal(scope, page.next) }),
  };
}

/** `GET /v1/sessions/{id}`: the owner's or, for an admin, anyone's; to others the session does not exist. */
export async function showSession(id: string, requestedTable: string | undefined, caller: Caller, admin: () => Promise<boolean>, now: Date, deps: SessionAdminDeps): Promise<SessionView> {
  const table = await sessionTable(requestedTable, deps);
  const session = await deps.sessions.get(table, id);
  // Someone else's session reads exactly like a missing one: its existence is not the caller's business.
  if (session === undefined || (session.user !== caller.user && !(await admin()))) throw new SentinelError('NOT_FOUND', `session ${id} does not exist`);
  return sessionView(session, table, now.toISOString());
}

/**
 * `POST /v1/sessions/{id}/revoke` (admins): the ledger entry, the one conditional
 * update, then the deny at AWS. A second revocation answers the first one and repeats
 * the AWS step (a no-op when the deny is there; the completion when it was pending).
 */
export async function revokeSession(id: string, request: { reason: string; sessionTable?: string }, caller: Caller, now: Date, deps: RevocationDeps): Promise<RevokeSessionResponse> {
  const table = await sessionTable(request.sessionTable, deps);
  const at = now.toISOString();
  await deps.ledger.intend([{ sessionId: id, sessionTable: table, revokedAt: at }]);
  let session: SessionRecord;
  let revoked: boolean;
  try {
    ({ session, revoked } = await deps.sessions.revoke(table, { id, by: caller.user, reason: request.reason, now: at }));
  } catch (error) {
    await dropIntents([id], error, deps);
    throw error;
  }
  const aws = (await denyAtAws([{ ...session, table }], at, deps)).get(id) as RevocationAwsSide;
  if (revoked) {
    deps.log.info('session revoked', { sessionId: id, user: session.user, profile: session.profile, revokedBy: caller.user, reason: request.reason, aws: aws.status });
    await deps.notifier?.publish(revokedEvent(session, caller.user, request.reason, at, aws.status));
  }
  return { session: sessionView(session, table, at), alreadyRevoked: !revoked, aws };
}

/**
 * `POST /v1/sessions/revoke` (admins): every active or pending session of one user or
 * one profile, at most {@link REVOKE_BATCH} per call, each its own conditional update,
 * then one deny per role. A session that changed between the read and its update is
 * skipped and counted.
 */
export async function revokeSessions(request: RevokeSessionsRequest, caller: Caller, now: Date, deps: RevocationDeps): Promise<RevokeSessionsResponse> {
  if ((request.user === undefined) === (request.profile === undefined)) throw new SentinelError('INVALID_REQUEST', 'name exactly one of user and profile');
  const table = await sessionTable(request.sessionTable, deps);
  const index: SessionIndex = request.user === undefined ? 'by-profile' : 'by-user';
  const key = request.user ?? (request.profile as string);
  const scope: CursorScope = { op: 'revoke', caller: caller.user, table, index, key };
  const startKey = request.cursor === undefined ? undefined : deps.cursors.open(request.cursor, scope);
  const at = now.toISOString();
  const page = await deps.sessions.list(table, { index, key, statuses: ['active', 'pending'], limit: REVOKE_BATCH, now: at, ...(startKey === undefined ? {} : { startKey }) });
  await deps.ledger.intend(page.sessions.map((session) => ({ sessionId: session.id, sessionTable: table, revokedAt: at })));
  const revoked: SessionRecord[] = [];
  const notRevoked: string[] = [];
  let skipped = 0;
  for (const listed of page.sessions) {
    try {
      const outcome = await deps.sessions.revoke(table, { id: listed.id, by: caller.user, reason: request.reason, now: at });
      if (outcome.revoked) revoked.push(outcome.session);
      else skipped += 1;
    } catch (error) {
      // Ended, expired or gone since the read: nothing left to revoke. Anything else (a dependency) fails the call.
      if (!isNotRevocable(error)) {
        await dropIntents(notRevoked, undefined, deps);
        throw error;
      }
      notRevoked.push(listed.id);
      skipped += 1;
    }
  }
  await dropIntents(notRevoked, undefined, deps);
  const aws = await denyAtAws(
    revoked.map((session) => ({ ...session, table })),
    at,
    deps,
  );
  const awsPending = [...aws.values()].filter((side) => side.status === 'pending').length;
  for (const session of revoked) await deps.notifier?.publish(revokedEvent(session, caller.user, request.reason, at, aws.get(session.id)?.status ?? 'pending'));
  if (revoked.length > 0) deps.log.info('sessions revoked', { ...(request.user === undefined ? { profile: request.profile } : { user: request.user }), revoked: revoked.length, revokedBy: caller.user, reason: request.reason, awsPending });
  return { revoked: revoked.length, skipped, awsPending, ...(page.next === undefined ? {} : { cursor: deps.cursors.seal(scope, page.next) }) };
}

/** The revocation was refused because the session cannot be revoked (missing, ended, expired, failed). */
function isNotRevocable(error: unknown): boolean {
  return error instanceof SentinelError && (error.code === 'CONFLICT' || error.code === 'NOT_FOUND');
}

/**
 * Forgets the ledger entries of sessions that were not revoked after all. Best effort:
 * an entry left behind is dropped by the sweep, which finds its session not revoked.
 * With `error`, only when that error says the session cannot be revoked (a dependency
 * failure leaves the revocation's outcome unknown, so the entry stays for the sweep).
 */
async function dropIntents(ids: readonly string[], error: unknown, deps: RevocationDeps): Promise<void> {
  if (ids.length === 0 || (error !== undefined && !isNotRevocable(error))) return;
  try {
    await deps.ledger.forget(ids);
  } catch (forgetError) {
    deps.log.warn('could not drop revocation ledger entries of sessions not revoked; the sweep drops them', { sessions: ids, error: forgetError });
  }
}

/** The `session.revoked` event (src/notify/events.ts). */
function revokedEvent(session: SessionRecord, by: string, reason: string, at: string, aws: RevocationAwsSide['status']): SentinelEvent {
  return {
    type: 'session.revoked',
    at,
    actor: by,
    id: session.id,
    profile: session.profile,
    user: session.user,
    summary: `${by} revoked session ${session.id} of ${session.user} (profile ${session.profile})`,
    command: `sentinel sessions show ${session.id}`,
    details: { reason, aws },
  };
}
