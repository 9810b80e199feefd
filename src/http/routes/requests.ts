/**
 * The access-request routes (docs/api.md, Access requests). Every route is open to any
 * allowed caller at the HTTP layer: who may approve, deny, cancel or see a request is
 * decided in src/requests/manage.ts from the current policy, the request, and the
 * conditional write that acts.
 */

import { grantIdSchema } from '../../api/requestSchemas.js';
import { SentinelError } from '../../errors.js';
import { approveRequest, cancelRequest, createRequest, denyRequest, listRequests, showRequest } from '../../requests/manage.js';
import type { RequestDeps } from '../../requests/manage.js';
import type { RouteHandler } from '../route.js';

function pathRequestId(path: Record<string, string>): string {
  const id = grantIdSchema().safeParse(path.id);
  if (!id.success) throw new SentinelError('INVALID_REQUEST', 'the path must name a request id (32 hex digits)');
  return id.data;
}

/** `POST /v1/requests`: 201 with the new request (`approved` already when an `auto_approve` entry covers the caller). */
export function createRequestRoute(deps: RequestDeps): RouteHandler<'createRequest'> {
  return async ({ body, caller, receivedAt }) => ({ status: 201, body: { request: await createRequest(body, caller, receivedAt, deps) } });
}

/** `GET /v1/requests` (`scope` mine, approvable, or all for admins). */
export function listRequestsRoute(deps: RequestDeps): RouteHandler<'listRequests'> {
  return async ({ query, caller, receivedAt }) => ({ status: 200, body: await listRequests(query, caller, receivedAt, deps) });
}

/** `GET /v1/requests/{id}` (the requester, an approver of its profile, an admin; NOT_FOUND to anyone else). */
export function showRequestRoute(deps: RequestDeps): RouteHandler<'showRequest'> {
  return async ({ path, caller, receivedAt }) => ({ status: 200, body: { request: await showRequest(pathRequestId(path), caller, receivedAt, deps) } });
}

/** `POST /v1/requests/{id}/approve` (an approver of its profile, never the requester). */
export function approveRequestRoute(deps: RequestDeps): RouteHandler<'approveRequest'> {
  return async ({ body, path, caller, receivedAt }) => ({ status: 200, body: { request: await approveRequest(pathRequestId(path), body, caller, receivedAt, deps) } });
}

/** `POST /v1/requests/{id}/deny` (an approver of its profile, never the requester). */
export function denyRequestRoute(deps: RequestDeps): RouteHandler<'denyRequest'> {
  return async ({ body, path, caller, receivedAt }) => ({ status: 200, body: { request: await denyRequest(pathRequestId(path), body, caller, receivedAt, deps) } });
}

/** `POST /v1/requests/{id}/cancel` (the requester). */
export function cancelRequestRoute(deps: RequestDeps): RouteHandler<'cancelRequest'> {
  return async ({ path, caller, receivedAt }) => ({ status: 200, body: { request: await cancelRequest(pathRequestId(path), caller, receivedAt, deps) } });
}
