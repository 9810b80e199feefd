import { sessionIdSchema } from '../../api/requestSchemas.js';
import { SentinelError } from '../../errors.js';
import { isAdmin } from '../../policy/admins.js';
import type { PolicySource } from '../../policy/source.js';
import { listSessions, revokeSession, revokeSessions, showSession } from '../../sessions/manage.js';
import type { RevocationDeps, SessionAdminDeps } from '../../sessions/manage.js';
import type { Caller } from '../../identity/types.js';
import type { RouteHandler } from '../route.js';

/** The reading routes also need to know whether the caller is an admin (who sees everyone's sessions). */
export interface SessionReadDeps extends SessionAdminDeps {
  policies: PolicySource;
  bootstrapAdmins: readonly string[];
}

function pathSessionId(path: Record<string, string>): string {
  const id = sessionIdSchema().safeParse(path.id);
  if (!id.success) throw new SentinelError('INVALID_REQUEST', 'the path must name a session id (32 hex digits)');
  return id.data;
}

async function callerIsAdmin(caller: Caller, now: Date, deps: SessionReadDeps): Promise<boolean> {
  const loaded = await deps.policies.current(now);
  return isAdmin(caller.user, loaded.policy, deps.bootstrapAdmins);
}

/** `GET /v1/sessions` (any caller: own sessions; admins: a named user's or profile's). */
export function listSessionsRoute(deps: SessionReadDeps): RouteHandler<'listSessions'> {
  return async ({ query, caller, receivedAt }) => {
    const admin = await callerIsAdmin(caller, receivedAt, deps);
    return { status: 200, body: await listSessions(query, caller, admin, receivedAt, deps) };
  };
}

/** `GET /v1/sessions/{id}` (owner or admin; NOT_FOUND to anyone else). */
export function showSessionRoute(deps: SessionReadDeps): RouteHandler<'showSession'> {
  return async ({ query, path, caller, receivedAt }) => {
    const id = pathSessionId(path);
    const session = await showSession(id, query.sessionTable, caller, () => callerIsAdmin(caller, receivedAt, deps), receivedAt, deps);
    return { status: 200, body: { session } };
  };
}

/** `POST /v1/sessions/{id}/revoke` (admins; the stack checks): the session, and where its AWS side stands. */
export function revokeSessionRoute(deps: RevocationDeps): RouteHandler<'revokeSession'> {
  return async ({ body, path, caller, receivedAt }) => {
    const id = pathSessionId(path);
    return { status: 200, body: await revokeSession(id, body, caller, receivedAt, deps) };
  };
}

/** `POST /v1/sessions/revoke` (admins; the stack checks): one user's or one profile's sessions, a batch per call. */
export function revokeSessionsRoute(deps: RevocationDeps): RouteHandler<'revokeSessions'> {
  return async ({ body, caller, receivedAt }) => ({ status: 200, body: await revokeSessions(body, caller, receivedAt, deps) });
}
