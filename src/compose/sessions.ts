/**
 * The two session-administration functions (no STS): `sessions` serves the reads
 * (`GET /v1/sessions`, `GET /v1/sessions/{id}`) for everyone, on DynamoDB only;
 * `revokeSessions` serves the two revocations, for admins only, and also writes the
 * deny at AWS (IAM, src/compose/revocation.ts). Split by who may call: the admin
 * function's whole surface sits behind the stack's admin check, and each bundle holds
 * only its routes.
 */

import { revokeSessionRoute, revokeSessionsRoute, listSessionsRoute, showSessionRoute } from '../http/routes/sessions.js';
import { cursorCodec, cursorKey } from '../sessions/cursor.js';
import type { SessionAdminDeps } from '../sessions/manage.js';
import { admins, policies, sessions, sessionTables, tableSettings } from './dynamo.js';
import { notifier } from './notify.js';
import { awsSideDeps } from './revocation.js';
import type { Composed, Runtime } from './runtime.js';
import { perRuntime } from './runtime.js';

/**
 * The cursor key, made once per runtime (cold start): derived from `SENTINEL_CURSOR_SECRET`,
 * else random, so cursors then work only on the instance that made them.
 */
const cursors = /* @__PURE__ */ perRuntime((runtime) => cursorCodec(cursorKey(runtime.config.cursorSecret)));

function adminDeps(runtime: Runtime): SessionAdminDeps {
  return { sessions: sessions(runtime), sessionTables: sessionTables(runtime), settings: tableSettings(runtime), cursors: cursors(runtime) };
}

export function sessionsFunction(runtime: Runtime): Composed<'sessions'> {
  const deps = { ...adminDeps(runtime), policies: policies(runtime), bootstrapAdmins: runtime.config.bootstrapAdmins };
  return { routes: { listSessions: listSessionsRoute(deps), showSession: showSessionRoute(deps) } };
}

export function revokeSessionsFunction(runtime: Runtime): Composed<'revokeSessions'> {
  const deps = { ...adminDeps(runtime), ...awsSideDeps(runtime), notifier: notifier(runtime) };
  return { routes: { revokeSession: revokeSessionRoute(deps), revokeSessions: revokeSessionsRoute(deps) }, admins: admins(runtime) };
}
