/**
 * Access requests (DESIGN.md, Approvals and break-glass; docs/api.md, Access requests):
 * make, list, show, approve, deny and cancel. Who may approve is read from the CURRENT
 * policy on every call (src/requests/rules.ts); the quorum (`min_approvals`) and the
 * window's length are fixed when the request is made. Every state change is one
 * conditional write in the store, so the requester never approves their own request,
 * each approver counts once, and exactly one approval completes a request.
 *
 * Listings always read an index with a Query, never a Scan: `mine` the requester's
 * partition of `by-requester`; `approvable` the sparse `by-pending` index, one
 * partition per profile the caller approves (profiles in name order, each newest
 * first); `all` (admins) one profile's partition of `by-profile`.
 */

import { SESSION_PAGE_DEFAULT, SESSION_PAGE_MAX } from '../api/constants.js';
import type { AccessRequestView, CreateRequestRequest, DecideRequestRequest, ListRequestsQuery, ListRequestsResponse } from '../api/contract.js';
import { SentinelError } from '../errors.js';
import type { Caller } from '../identity/types.js';
import type { Notifier, SentinelEvent } from '../notify/events.js';
import { isAdmin } from '../policy/admins.js';
import { formatDuration } from '../policy/duration.js';
import type { LoadedPolicy, PolicySource } from '../policy/source.js';
import type { CursorCodec, CursorScope } from '../sessions/cursor.js';
import { planRequest, requestTtl } from './plan.js';
import { approvableProfiles, isApproverFor } from './rules.js';
import { effectiveRequestStatus, REQUEST_LIFETIME_SECONDS, type AccessRequestRecord, type RequestPage, type RequestStore } from './types.js';

/** What the request routes log: structured lines, the audit trail of every decision. */
export interface RequestLog {
  info(message: string, fields: Record<string, unknown>): void;
}

export interface RequestDeps {
  requests: RequestStore;
  policies: PolicySource;
  /** `SENTINEL_BOOTSTRAP_ADMINS` (src/policy/admins.ts). */
  bootstrapAdmins: readonly string[];
  settings: { defaultSessionTable?: string; auditRetentionSeconds: number };
  cursors: CursorCodec;
  /** `bytes` random bytes as hex: the request id. */
  randomHex: (bytes: number) => string;
  log: RequestLog;
  /** Announces created, approved, denied and cancelled requests (never throws: src/notify/events.ts). */
  notifier?: Notifier;
}

/** Profiles one `approvable` page reads at most (one Query each, or a few when a filter leaves pages short). */
const MAX_PROFILES_PER_PAGE = 10;

/** The record as the API shows it: the effective status at `now`, nothing internal. */
export function requestView(request: AccessRequestRecord, now: string): AccessRequestView {
  const view: AccessRequestView = {
    id: request.id,
    requester: request.requester,
    profile: request.profile,
    justification: request.justification,
    durationSeconds: request.durationSeconds,
    status: effectiveRequestStatus(request, now),
    createdAt: request.createdAt,
    expiresAt: request.expiresAt,
    minApprovals: request.minApprovals,
    approvals: request.approvals.map((approval) => ({ ...approval })),
  };
  if (request.decidedAt !== undefined) view.decidedAt = request.decidedAt;
  if (request.deniedBy !== undefined) view.deniedBy = request.deniedBy;
  if (request.denyComment !== undefined) view.denyComment = request.denyComment;
  if (request.windowEndsAt !== undefined) view.windowEndsAt = request.windowEndsAt;
  if (request.autoApproved !== undefined) view.autoApproved = { ...request.autoApproved };
  return view;
}

/** `POST /v1/requests`: decided by {@link planRequest}, written with one conditional put. */
export async function createRequest(body: CreateRequestRequest, caller: Caller, now: Date, deps: RequestDeps): Promise<AccessRequestView> {
  const loaded = await deps.policies.current(now);
  const record = planRequest({ request: body, caller, loaded, now, id: deps.randomHex(16), settings: deps.settings });
  await deps.requests.create(record);
  deps.log.info('access request created', {
    request: record.id,
    requester: record.requester,
    principal: record.requesterPrincipal,
    profile: record.profile,
    durationSeconds: record.durationSeconds,
    minApprovals: record.minApprovals,
    status: record.status,
    ...(record.autoApproved === undefined ? {} : { autoApproved: record.autoApproved.rule }),
    policyVersion: loaded.version,
  });
  await announce(deps, createdEvent(record));
  if (record.status === 'approved') await announce(deps, approvedEvent(record, record.requester));
  return requestView(record, now.toISOString());
}

/** `GET /v1/requests/{id}`: the requester, an approver of its profile (current policy) or an admin; to anyone else it does not exist. */
export async function showRequest(id: string, caller: Caller, now: Date, deps: RequestDeps): Promise<AccessRequestView> {
  const request = await deps.requests.get(id);
  if (request === undefined || !(await maySee(request, caller, now, deps))) throw new SentinelError('NOT_FOUND', `request ${id} does not exist`);
  return requestView(request, now.toISOString());
}

/**
 * `POST /v1/requests/{id}/approve`: an approver of the request's profile under the
 * current policy, never the requester. The approval that reaches `min_approvals`
 * approves the request and starts its window (now + its duration).
 */
export async function approveRequest(id: string, body: DecideRequestRequest, caller: Caller, now: Date, deps: RequestDeps): Promise<AccessRequestView> {
  const request = await decidable(id, caller, now, deps, 'approve');
  const at = now.toISOString();
  const windowEndsAt = new Date(now.getTime() + request.durationSeconds * 1000).toISOString();
  const outcome = await deps.requests.approve({
    id,
    approver: caller.user,
    ...(body.comment === undefined ? {} : { comment: body.comment }),
    now: at,
    seen: request,
    completion: { windowEndsAt, ttl: requestTtl(request.expiresAt, windowEndsAt, deps.settings.auditRetentionSeconds) },
  });
  const approved = outcome.request;
  deps.log.info(outcome.completed ? 'access request approved' : 'access request approval recorded', {
    request: id,
    requester: approved.requester,
    profile: approved.profile,
    approver: caller.user,
    approvals: approved.approvals.length,
    minApprovals: approved.minApprovals,
    ...(outcome.completed ? { windowEndsAt: approved.windowEndsAt } : {}),
  });
  if (outcome.completed) await announce(deps, approvedEvent(approved, caller.user, body.comment));
  return requestView(approved, at);
}

/** `POST /v1/requests/{id}/deny`: one approver's denial ends the request. */
export async function denyRequest(id: string, body: DecideRequestRequest, caller: Caller, now: Date, deps: RequestDeps): Promise<AccessRequestView> {
  await decidable(id, caller, now, deps, 'deny');
  const at = now.toISOString();
  const denied = await deps.requests.deny({ id, by: caller.user, ...(body.comment === undefined ? {} : { comment: body.comment }), now: at });
  deps.log.info('access request denied', { request: id, requester: denied.requester, profile: denied.profile, deniedBy: caller.user });
  await announce(deps, {
    ...baseEvent(denied, 'request.denied', caller.user, at),
    summary: `${caller.user} denied ${denied.requester}'s request for ${denied.profile}`,
    details: { justification: denied.justification, ...(body.comment === undefined ? {} : { comment: body.comment }) },
  });
  return requestView(denied, at);
}

/** `POST /v1/requests/{id}/cancel`: the requester withdraws a pending request. */
export async function cancelRequest(id: string, caller: Caller, now: Date, deps: RequestDeps): Promise<AccessRequestView> {
  const at = now.toISOString();
  const cancelled = await deps.requests.cancel({ id, requester: caller.user, now: at });
  deps.log.info('access request cancelled', { request: id, requester: cancelled.requester, profile: cancelled.profile });
  await announce(deps, {
    ...baseEvent(cancelled, 'request.cancelled', caller.user, at),
    summary: `${cancelled.requester} cancelled their request for ${cancelled.profile}`,
    details: { justification: cancelled.justification },
  });
  return requestView(cancelled, at);
}

/**
 * `GET /v1/requests`: `mine` (default), `approvable` (pending requests the caller may
 * still approve: never their own, none they approved already), `all` (admins, one profile).
 */
export async function listRequests(query: ListRequestsQuery, caller: Caller, now: Date, deps: RequestDeps): Promise<ListRequestsResponse> {
  const scope = query.scope ?? 'mine';
  const limit = Math.min(query.limit ?? SESSION_PAGE_DEFAULT, SESSION_PAGE_MAX);
  const at = now.toISOString();
  const cursorScope: CursorScope = { op: 'requests', caller: caller.user, scope, profile: query.profile ?? null, status: query.status ?? null, limit };
  let page: RequestPage;
  if (scope === 'approvable') page = await approvablePage(query, caller, now, limit, cursorScope, deps);
  else {
    if (scope === 'all') {
      const loaded = await deps.policies.current(now);
      if (!isAdmin(caller.user, loaded.policy, deps.bootstrapAdmins)) {
        throw new SentinelError('NOT_ADMIN', `only admins may list every request; "${caller.user}" is not in the policy's admins (list your own, or --pending those you may approve)`);
      }
      if (query.profile === undefined) throw new SentinelError('INVALID_REQUEST', 'name a profile: listing every request would need a Scan of the table');
    }
    const startKey = query.cursor === undefined ? undefined : deps.cursors.open(query.cursor, cursorScope);
    page = await deps.requests.list({
      index: scope === 'all' ? 'by-profile' : 'by-requester',
      key: scope === 'all' ? (query.profile as string) : caller.user,
      ...(query.status === undefined ? {} : { statuses: [query.status] }),
      ...(scope === 'mine' && query.profile !== undefined ? { profile: query.profile } : {}),
      limit,
      now: at,
      ...(startKey === undefined ? {} : { startKey }),
    });
  }
  return {
    requests: page.requests.map((request) => requestView(request, at)),
    ...(page.next === undefined ? {} : { cursor: deps.cursors.seal(cursorScope, page.next) }),
  };
}

/**
 * One page of the requests the caller may approve: the `by-pending` partition of each
 * profile they approve, in name order, from where the cursor left off (`p`: the
 * profile, `k`: DynamoDB's key in it). Only requests made in the last 24 hours can be
 * pending, so each Query starts there; nothing needs to have marked the rest expired.
 */
async function approvablePage(query: ListRequestsQuery, caller: Caller, now: Date, limit: number, scope: CursorScope, deps: RequestDeps): Promise<RequestPage> {
  if (query.status !== undefined && query.status !== 'pending') throw new SentinelError('INVALID_REQUEST', 'status: approvable requests are pending ones; leave status out, or use scope mine or all');
  const loaded = await deps.policies.current(now);
  let profiles = approvableProfiles(loaded.policy, caller.user);
  if (query.profile !== undefined) profiles = profiles.filter((profile) => profile === query.profile);
  const at = now.toISOString();
  let position = 0;
  let startKey: Record<string, unknown> | undefined;
  if (query.cursor !== undefined) {
    const opened = deps.cursors.open(query.cursor, scope);
    const from = typeof opened.p === 'string' ? opened.p : '';
    // The policy may have changed since: go on from that profile, or the first one after it.
    position = profiles.findIndex((profile) => profile >= from);
    if (position === -1) return { requests: [] };
    if (profiles[position] === from && typeof opened.k === 'object' && opened.k !== null) startKey = opened.k as Record<string, unknown>;
  }
  const requests: AccessRequestRecord[] = [];
  const createdAfter = new Date(now.getTime() - REQUEST_LIFETIME_SECONDS * 1000).toISOString();
  for (let read = 0; position < profiles.length; position += 1, read += 1) {
    const profile = profiles[position] as string;
    if (requests.length === limit || read === MAX_PROFILES_PER_PAGE) return { requests, next: { p: profile } };
    const page = await deps.requests.list({
      index: 'by-pending',
      key: profile,
      createdAfter,
      statuses: ['pending'],
      notRequestedBy: caller.user,
      notApprovedBy: caller.user,
      limit: limit - requests.length,
      now: at,
      ...(startKey === undefined ? {} : { startKey }),
    });
    startKey = undefined;
    requests.push(...page.requests);
    if (page.next !== undefined) return { requests, next: { p: profile, k: page.next } };
  }
  return { requests };
}

/** The requester, an approver of the request's profile under the current policy, or an admin. */
async function maySee(request: AccessRequestRecord, caller: Caller, now: Date, deps: RequestDeps): Promise<boolean> {
  if (request.requester === caller.user) return true;
  const loaded = await deps.policies.current(now);
  return isApproverFor(loaded.policy, caller.user, request.profile) || isAdmin(caller.user, loaded.policy, deps.bootstrapAdmins);
}

/**
 * The request `caller` wants to approve or deny, once they are allowed to: `NOT_FOUND`
 * when it does not exist, `NOT_OWNER` for the requester and for anyone the current
 * policy does not make an approver of its profile. Its state is the store's to check,
 * in the write itself.
 */
async function decidable(id: string, caller: Caller, now: Date, deps: RequestDeps, verb: 'approve' | 'deny'): Promise<AccessRequestRecord> {
  const request = await deps.requests.get(id);
  if (request === undefined) throw new SentinelError('NOT_FOUND', `request ${id} does not exist`);
  if (request.requester === caller.user) {
    const instead = verb === 'deny' ? `: cancel it (sentinel cancel ${id})` : '';
    throw new SentinelError('NOT_OWNER', `"${caller.user}" may not ${verb} their own request ${id}${instead}`);
  }
  const loaded: LoadedPolicy = await deps.policies.current(now);
  if (!isApproverFor(loaded.policy, caller.user, request.profile)) {
    throw new SentinelError('NOT_OWNER', `"${caller.user}" may not ${verb} requests for profile "${request.profile}": only the approvers its approval rules name may`);
  }
  return request;
}

async function announce(deps: RequestDeps, event: SentinelEvent): Promise<void> {
  if (deps.notifier !== undefined) await deps.notifier.publish(event);
}

function baseEvent(request: AccessRequestRecord, type: SentinelEvent['type'], actor: string, at: string): Omit<SentinelEvent, 'summary' | 'details'> {
  return { type, at, actor, id: request.id, profile: request.profile, user: request.requester };
}

function createdEvent(request: AccessRequestRecord): SentinelEvent {
  return {
    ...baseEvent(request, 'request.created', request.requester, request.createdAt),
    summary: `${request.requester} requests ${request.profile} for ${formatDuration(request.durationSeconds)}: ${request.justification}`,
    ...(request.status === 'pending' ? { command: `sentinel approve ${request.id}` } : {}),
    details: { justification: request.justification, durationSeconds: request.durationSeconds, minApprovals: request.minApprovals, expiresAt: request.expiresAt },
  };
}

function approvedEvent(request: AccessRequestRecord, actor: string, comment?: string): SentinelEvent {
  const how = request.autoApproved === undefined ? `approved by ${request.approvals.map((approval) => approval.approver).join(', ')}` : `approved automatically (approval rule "${request.autoApproved.rule}")`;
  return {
    ...baseEvent(request, 'request.approved', actor, request.decidedAt ?? request.createdAt),
    summary: `${request.requester}'s request for ${request.profile} was ${how}`,
    command: `sentinel exec --profile ${request.profile} -- <cmd>`,
    details: { justification: request.justification, windowEndsAt: request.windowEndsAt ?? '', ...(comment === undefined ? {} : { comment }) },
  };
}
