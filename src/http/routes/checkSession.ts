import { sessionIdSchema } from '../../api/requestSchemas.js';
import { SentinelError } from '../../errors.js';
import { checkSession } from '../../vending/check.js';
import type { CheckDeps } from '../../vending/check.js';
import type { RouteHandler } from '../route.js';

/** `POST /v1/sessions/{id}/check` (owner): the server-mode re-check; the owner check is the store's conditional write. */
export function checkSessionRoute(deps: CheckDeps): RouteHandler<'checkSession'> {
  return async ({ body, path, caller }) => {
    const id = sessionIdSchema().safeParse(path.id);
    if (!id.success) throw new SentinelError('INVALID_REQUEST', 'the path must name a session id (32 hex digits)');
    return { status: 200, body: await checkSession(id.data, body, caller, deps) };
  };
}
