/**
 * The break-glass routes (docs/api.md, Break-glass): invoke, list, close. Who may do
 * what is the domain's call (src/breakglass/manage.ts): the policy's `breakglass` rules
 * for invoking, the invoker or an admin for closing, admins for `scope=all`.
 */

import { grantIdSchema } from '../../api/requestSchemas.js';
import { closeBreakglass, invokeBreakglass, listBreakglass } from '../../breakglass/manage.js';
import type { BreakglassDeps } from '../../breakglass/manage.js';
import { SentinelError } from '../../errors.js';
import type { RouteHandler } from '../route.js';

function pathEventId(path: Record<string, string>): string {
  const id = grantIdSchema().safeParse(path.id);
  if (!id.success) throw new SentinelError('INVALID_REQUEST', 'the path must name a break-glass event id (32 hex digits)');
  return id.data;
}

/** `POST /v1/breakglass` (any caller a `breakglass` rule names): 201 with the new event. */
export function invokeBreakglassRoute(deps: BreakglassDeps): RouteHandler<'invokeBreakglass'> {
  return async ({ body, caller, receivedAt }) => ({ status: 201, body: { event: await invokeBreakglass(body, caller, receivedAt, deps) } });
}

/** `GET /v1/breakglass` (own events; admins: one profile's with `scope=all`). */
export function listBreakglassRoute(deps: BreakglassDeps): RouteHandler<'listBreakglass'> {
  return async ({ query, caller, receivedAt }) => ({ status: 200, body: await listBreakglass(query, caller, receivedAt, deps) });
}

/** `POST /v1/breakglass/{id}/close` (the invoker or an admin). */
export function closeBreakglassRoute(deps: BreakglassDeps): RouteHandler<'closeBreakglass'> {
  return async ({ body, path, caller, receivedAt }) => ({ status: 200, body: { event: await closeBreakglass(pathEventId(path), body, caller, receivedAt, deps) } });
}
