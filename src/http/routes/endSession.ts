import { sessionIdSchema } from '../../api/requestSchemas.js';
import { SentinelError } from '../../errors.js';
import { checkClientSessionTable } from '../../sessions/tables.js';
import type { SessionStore } from '../../sessions/types.js';
import type { SessionTableDirectory } from '../../sessions/tables.js';
import type { RouteHandler } from '../route.js';

export interface EndSessionDeps {
  sessions: SessionStore;
  sessionTables: SessionTableDirectory;
  settings: { tablePrefix: string; defaultSessionTable?: string };
}

/** `POST /v1/sessions/{id}/end` (owner): the CLI ends its server session when the command exits. */
export function endSessionRoute(deps: EndSessionDeps): RouteHandler<'endSession'> {
  return async ({ body, path, caller, receivedAt }) => {
    const id = sessionIdSchema().safeParse(path.id);
    if (!id.success) throw new SentinelError('INVALID_REQUEST', 'the path must name a session id (32 hex digits)');
    const table = body.sessionTable ?? deps.settings.defaultSessionTable;
    if (table === undefined) throw new SentinelError('INVALID_REQUEST', "this deployment has no default session table: send the session's table as sessionTable");
    await checkClientSessionTable(table, deps.settings, deps.sessionTables);
    // The owner check is the store's conditional update (`user = :caller`).
    const ended = await deps.sessions.end(table, { id: id.data, user: caller.user, now: receivedAt.toISOString() });
    return { status: 200, body: { id: ended.id, status: 'ended', endedAt: ended.endedAt ?? receivedAt.toISOString() } };
  };
}
