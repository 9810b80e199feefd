/**
 * The access-request record and the port that stores it (DESIGN.md, Approvals and
 * break-glass; Tables: requests).
 *
 * Field names here are camelCase; the adapter maps them to the table's snake_case
 * attribute names. Timestamps are ISO-8601 UTC with `Z`; `ttl` is epoch seconds.
 */

import type { RequestApproval, RequestStatus } from '../api/contract.js';
import type { Grant } from '../vending/plan.js';

export { REQUEST_STATUSES } from '../api/contract.js';
export type { RequestApproval, RequestStatus } from '../api/contract.js';

/** A pending request expires 24 hours after it was made (`expires_at`). */
export const REQUEST_LIFETIME_SECONDS = 24 * 3600;

/**
 * One access request. `status` is what is stored: `expired` is only ever effective
 * ({@link effectiveRequestStatus}), nothing marks it.
 */
export interface AccessRequestRecord {
  /** 32 hex digits. */
  id: string;
  /** The policy's user name of who asked (DESIGN.md, Identity). */
  requester: string;
  /** The principal AWS fixed for the requester (src/identity/types.ts `Caller.principal`): evidence, not a name the caller picked. */
  requesterPrincipal: string;
  profile: string;
  justification: string;
  /** Length of the access window once approved. */
  durationSeconds: number;
  status: RequestStatus;
  createdAt: string;
  /** When a pending request stops being approvable: {@link REQUEST_LIFETIME_SECONDS} after `createdAt`. */
  expiresAt: string;
  /** Distinct approvers needed, fixed when the request is made. */
  minApprovals: number;
  /** In the order they were given; each approver at most once. */
  approvals: RequestApproval[];
  /** The completing approval, the denial, or the cancellation. */
  decidedAt?: string;
  deniedBy?: string;
  denyComment?: string;
  /** Approved: the window of access is from `decidedAt` to this. */
  windowEndsAt?: string;
  /** Approved at creation by an `auto_approve` entry. */
  autoApproved?: { rule: string; reason: string };
  /** Epoch seconds: end of life (expiry, or the window's end) plus the audit retention. */
  ttl: number;
}

/** The indexes a listing may read (src/provisioning/schemas.ts), each sorted by `created_at`. */
export type RequestIndex = 'by-requester' | 'by-profile' | 'by-pending';

/** What {@link RequestStore.list} reads: one partition of one index, newest first. */
export interface RequestQuery {
  index: RequestIndex;
  /** The partition value: a requester (`by-requester`) or a profile (`by-profile`, `by-pending`). */
  key: string;
  /** Only requests created after this ISO time (the sort key): `by-pending` uses it to skip expired ones. */
  createdAfter?: string;
  /** Only requests whose effective status at `now` is one of these; all when absent. */
  statuses?: readonly RequestStatus[];
  /** Only this profile (with `by-requester`). */
  profile?: string;
  /** Leave out the requests of this user (an approver's listing never shows their own). */
  notRequestedBy?: string;
  /** Leave out the requests this user has approved already. */
  notApprovedBy?: string;
  limit: number;
  now: string;
  /** Where to start: the `next` of the previous page. */
  startKey?: Record<string, unknown>;
}

export interface RequestPage {
  requests: AccessRequestRecord[];
  next?: Record<string, unknown>;
}

/** One approval, with what the store needs to complete the request if it is the last one needed. */
export interface ApprovalInput {
  id: string;
  approver: string;
  comment?: string;
  now: string;
  /** The record as the caller last read it: where the store starts guessing the current count. */
  seen: AccessRequestRecord;
  /** If this approval completes the request: the window's end (`now` + the request's duration) and the new ttl. */
  completion: { windowEndsAt: string; ttl: number };
}

/** What an approval did: `completed` when it was the one that made the request approved. */
export interface ApprovalOutcome {
  request: AccessRequestRecord;
  completed: boolean;
}

/**
 * Where access requests live (one table per deployment). Every state change is one
 * conditional UpdateItem: two decisions can never both apply, and the loser gets
 * `CONFLICT` with the state that won.
 *
 * Errors: DynamoDB failures are translated once for every store (src/aws/dynamoErrors.ts):
 * `UNAVAILABLE` (503 with Retry-After) or `INTERNAL`. State errors per method.
 */
export interface RequestStore {
  /** Conditional put (`attribute_not_exists(id)`); in the pending index only while `pending`. */
  create(request: AccessRequestRecord): Promise<void>;

  /** Strongly consistent read. */
  get(id: string): Promise<AccessRequestRecord | undefined>;

  /**
   * Adds one approval: pending, not expired, not the requester's own, not this
   * approver's second. The approval that brings the distinct approvers to
   * `min_approvals` makes the request `approved` in the same write (decided_at, the
   * window, out of the pending index). Throws `NOT_FOUND`, `NOT_OWNER` (the requester),
   * `CONFLICT` (decided, expired, already approved by this approver, or changing too fast).
   */
  approve(input: ApprovalInput): Promise<ApprovalOutcome>;

  /** Denies a pending, unexpired request (never by its requester). Same errors as {@link approve}. */
  deny(input: { id: string; by: string; comment?: string; now: string }): Promise<AccessRequestRecord>;

  /** The requester cancels their pending, unexpired request. Throws `NOT_FOUND`, `NOT_OWNER`, `CONFLICT`. */
  cancel(input: { id: string; requester: string; now: string }): Promise<AccessRequestRecord>;

  /** One page, newest first, from one index partition (a Query, never a Scan). */
  list(query: RequestQuery): Promise<RequestPage>;

  /**
   * The windows of `user`'s approved requests for `profile` open at `now` (DESIGN.md,
   * Issuance order: the override by an approved request), newest first, as grants for
   * issuance (src/vending/ports.ts GrantSource): `via` = `apr-<first 8 hex of the id>`.
   */
  approvedGrants(request: { user: string; profile: string; now: Date }): Promise<Grant[]>;
}

/** The status a reader sees at `now`: a `pending` request past `expiresAt` is `expired`, before anything marks it. */
export function effectiveRequestStatus(request: Pick<AccessRequestRecord, 'status' | 'expiresAt'>, now: string): RequestStatus {
  return request.status === 'pending' && request.expiresAt <= now ? 'expired' : request.status;
}
