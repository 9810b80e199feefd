import type { EndSessionRequest, EndSessionResponse } from '../../api/contract.js';
import { endSessionRequestSchema, sessionId } from '../../api/schemas.js';
import { SentinelError } from '../../errors.js';
import { checkClientSessionTable } from '../../vending/tables.js';
import type { AppDeps } from '../deps.js';
import type { Route } from '../route.js';

/** `POST /v1/sessions/{id}/end` (owner): the CLI ends its server session when the command exits. */
export function endSessionRoute(deps: AppDeps): Route<EndSessionRequest> {
  return {
    name: 'endSession',
    body: endSessionRequestSchema,
    handle: async ({ body, path, caller, receivedAt }) => {
      const id = sessionId.safeParse(path.id);
      if (!id.success) throw new SentinelError('INVALID_REQUEST', 'the path must name a session id (32 hex digits)');
      const table = body.sessionTable ?? deps.config.defaultSessionTable;
      if (table === undefined) throw new SentinelError('INVALID_REQUEST', 'this deployment has no default session table: send the session\'s table as sessionTable');
      await checkClientSessionTable(table, deps.vending.settings, deps.vending.sessionTables);
      const ended = await deps.sessions.end(table, { id: id.data, user: caller.user, now: receivedAt.toISOString() });
      const response: EndSessionResponse = { id: ended.id, status: 'ended', endedAt: ended.endedAt ?? receivedAt.toISOString() };
      return { status: 200, body: response };
    },
  };
}
