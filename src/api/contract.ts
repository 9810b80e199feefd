/**
 * The HTTP contract the functions and the CLI share (DESIGN.md, HTTP API).
 *
 * Types only, so the CLI can import them without pulling in validation code; the
 * request schemas that enforce these shapes live in src/api/schemas.ts.
 */

import type { Decision, Mode } from '../policy/types.js';
import type { SessionRecord, SessionStatus } from '../sessions/types.js';
import type { Denial } from './denial.js';

/** Every stable error code the API answers with. The status of each lives in src/http/errors.ts. */
export const ERROR_CODES = [
  'INVALID_REQUEST',
  'INVALID_IDENTITY',
  'IAM_AUTH_REQUIRED',
  'POLICY_DENY',
  'SERVER_MODE_REQUIRED',
  'SESSION_TRACKING_REQUIRED',
  'SERVER_SESSION_REQUIRED',
  'APPROVAL_REQUIRED',
  'SESSION_REVOKED',
  'SESSION_ENDED',
  'SESSION_EXPIRED',
  'NOT_OWNER',
  'NOT_ADMIN',
  'NOT_FOUND',
  'UNKNOWN_PROFILE',
  'CONFLICT',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** `{ error: { code, message, requestId, denial? } }` */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; denial?: Denial };
}

/** `POST /v1/credentials` */
export interface CredentialsRequest {
  profile: string;
  mode: Mode;
  /** The client's session table (`--session-table` / `SENTINEL_SESSION_TABLE`); on a refresh, the session's table. */
  sessionTable?: string;
  durationSeconds?: number;
  /** Refresh of a server-mode session. */
  sessionId?: string;
}

export interface VendedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO-8601 UTC. */
  expiration: string;
}

export interface CredentialsResponse {
  credentials: VendedCredentials;
  session: { id: string; table: string; expiresAt: string } | null;
  sourceIdentity: string;
  profile: string;
  region?: string;
  decision: { effect: 'allow'; rule: string };
}

/** `GET /v1/whoami` */
export interface WhoamiResponse {
  user: string;
  arn: string;
  accountId: string;
  admin: boolean;
}

/** What one mode would get for a profile (`GET /v1/profiles`). */
export interface ProfileModeOutcome {
  effect: 'allow' | 'deny' | 'require_approval';
  rule: string;
  requiresServerMode: boolean;
  requiresSessionTracking: boolean;
}

/** `GET /v1/profiles`: the profiles the caller could get (some mode is not a plain deny). */
export interface ProfilesResponse {
  profiles: Array<{
    name: string;
    region?: string;
    maxDurationSeconds?: number;
    /** The policy's answer per mode, before grants. */
    modes: Record<Mode, ProfileModeOutcome>;
    /**
     * An approved request or active break-glass event of the caller that lifts this
     * profile's deny or `require_approval` now (the server-mode requirements still
     * apply), until `until`: the one open longest.
     */
    openedBy?: { kind: 'approval' | 'breakglass'; id: string; via: string; until: string };
  }>;
  policyVersion: number;
}

/** `GET /v1/policy` */
export interface PolicyDocumentResponse {
  text: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

/** `PUT /v1/policy`: `expectedVersion` 0 when no policy is stored yet. */
export interface PutPolicyRequest {
  text: string;
  expectedVersion: number;
}

export interface PutPolicyResponse {
  version: number;
  updatedAt: string;
}

/** `POST /v1/policy/evaluate`: `user` other than the caller is for admins only. */
export interface EvaluateRequest {
  profile: string;
  mode: Mode;
  user?: string;
  /** RFC 3339; default now. */
  time?: string;
  sessionTable?: string;
}

/** The request as evaluated, the decision (src/policy/types.ts), its denial facts, and the policy version. */
export interface EvaluateResponse extends Decision {
  user: string;
  profile: string;
  mode: Mode;
  time: string;
  denial: Denial | null;
  policyVersion: number;
}

/** `POST /v1/sessions/{id}/end` */
export interface EndSessionRequest {
  /** The table the session lives in (the `session.table` of the credentials response); default the deployment's. */
  sessionTable?: string;
}

export interface EndSessionResponse {
  id: string;
  status: 'ended';
  endedAt: string;
}

/** `POST /v1/sessions/{id}/check` (owner): the server-mode re-check. */
export interface CheckSessionRequest {
  /** The session's profile (the check is refused for another). */
  profile: string;
  /** The table the session lives in; default the deployment's. */
  sessionTable?: string;
}

/** The session's state after the check and the decision that allowed it; never any credential. */
export interface CheckSessionResponse {
  session: { id: string; status: 'active'; expiresAt: string; lastAccessAt: string; requestCount: number };
  decision: { effect: 'allow'; rule: string };
  policyVersion: number;
}

/** A session's effective status (src/sessions/types.ts, `effectiveStatus`). */
export type SessionViewStatus = SessionStatus;

/**
 * A session record as the API shows it: every attribute of the table's item in
 * camelCase, the effective status (a session past `expiresAt` reads `expired` before
 * any sweep marks it) and the table it lives in. The table holds no credential.
 */
export interface SessionView extends SessionRecord {
  table: string;
}

/** Query of `GET /v1/sessions`: callers see their own sessions; admins name a `user` or a `profile`. */
export interface ListSessionsQuery {
  user?: string;
  profile?: string;
  status?: SessionViewStatus;
  /** ISO time: sessions created at or after it. */
  since?: string;
  /** 1–100, default 50. */
  limit?: number;
  /** The previous page's `cursor`, with the same parameters. */
  cursor?: string;
  sessionTable?: string;
}

export interface ListSessionsResponse {
  /** Newest first. */
  sessions: SessionView[];
  /** Present when there may be more: send it back with the same parameters. */
  cursor?: string;
}

/** Query of `GET /v1/sessions/{id}`. */
export interface ShowSessionQuery {
  sessionTable?: string;
}

/** `GET /v1/sessions/{id}`. */
export interface SessionResponse {
  session: SessionView;
}

/**
 * Where the AWS side of a revocation stands (docs/revocation.md): `denied`, the
 * session's id is in the `SentinelRevokedSessions` deny of the profile's role (or the
 * role no longer exists), so its credentials stop working at AWS once IAM has
 * propagated the change; `pending`, the IAM step failed or is still to come and the
 * sweep (every 5 minutes) completes it; until then, credentials already handed out
 * work at AWS until they expire, while Sentinel refuses every refresh and re-check.
 */
export interface RevocationAwsSide {
  status: 'denied' | 'pending';
  /** Why it is pending (IAM's failure, said without credentials), when it is. */
  message?: string;
}

/** `POST /v1/sessions/{id}/revoke` (admins). */
export interface RevokeSessionResponse {
  session: SessionView;
  /** The session was revoked before this call: `session` holds that revocation (who, why, when), not this one. */
  alreadyRevoked: boolean;
  aws: RevocationAwsSide;
}

/** `POST /v1/sessions/{id}/revoke` (admins). */
export interface RevokeSessionRequest {
  /** 1–500 characters, no control characters. */
  reason: string;
  sessionTable?: string;
}

/** `POST /v1/sessions/revoke` (admins): every active or pending session of one user or one profile. */
export interface RevokeSessionsRequest {
  user?: string;
  profile?: string;
  reason: string;
  sessionTable?: string;
  /** The previous answer's `cursor`, with the same user or profile. */
  cursor?: string;
}

export interface RevokeSessionsResponse {
  revoked: number;
  /** Sessions that changed between the read and their revocation (ended, expired, revoked by someone else). */
  skipped: number;
  /** Of the sessions this call revoked, how many still wait for the AWS side (the sweep completes them). */
  awsPending: number;
  /** Present when there may be more to revoke: call again with it. */
  cursor?: string;
}

/** `POST /v1/provision` (admins): plan, or start creating, a table of `kind`. */
export interface ProvisionRequest {
  kind: 'sessions' | 'requests' | 'breakglass' | 'config';
  /** Default the kind's default name (`sentinel-sessions`, …); must carry the deployment prefix. */
  table?: string;
  /** Only compare; change nothing. */
  plan?: boolean;
}

/** Query of `GET /v1/provision/{table}`: `kind` may be left out once the table is registered. */
export interface ProvisionStatusQuery {
  kind?: ProvisionRequest['kind'];
}

/** Query of `GET /v1/provision/iam-policy`: `table` defaults to the kind's default name. */
export interface IamPolicyQuery {
  kind: ProvisionRequest['kind'];
  table?: string;
}

/**
 * The answer of `POST /v1/provision` and `GET /v1/provision/{table}`:
 * `PLAN` (with plan=true), `CREATING` (202: poll GET /v1/provision/{table}), `READY`
 * (exists, TTL and PITR on, registered; with `arn`), or `DRIFT` (exists but differs:
 * nothing changed, see `plan.differences`).
 */
export interface ProvisionResponse {
  status: 'PLAN' | 'CREATING' | 'READY' | 'DRIFT';
  table: string;
  kind: ProvisionRequest['kind'];
  plan: {
    action: 'create' | 'none' | 'drift';
    differences: Array<{ kind: string; message: string }>;
    schema: { billingMode: 'PAY_PER_REQUEST'; keys: string[]; indexes: string[]; ttlAttribute: string; pointInTimeRecovery: true; encryption: true };
  };
  arn?: string;
}

/** `GET /v1/provision/iam-policy?kind=&table=` (admins): an IAM policy document. */
export interface IamPolicyDocument {
  Version: '2012-10-17';
  Statement: Array<{ Sid: string; Effect: 'Allow'; Action: string[]; Resource: string[] }>;
}

// ---- Access requests (DESIGN.md, Approvals and break-glass) -------------------------

export const REQUEST_STATUSES = ['pending', 'approved', 'denied', 'cancelled', 'expired'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** One approval of a request. */
export interface RequestApproval {
  approver: string;
  /** ISO time. */
  at: string;
  comment?: string;
}

/** An access request as the API shows it (`expired` is effective: a pending request past `expiresAt`). */
export interface AccessRequestView {
  /** 32 hex digits; its first 8 name it in `via` (`apr-<8 hex>`). */
  id: string;
  requester: string;
  profile: string;
  justification: string;
  durationSeconds: number;
  status: RequestStatus;
  createdAt: string;
  /** When a pending request expires (24 h after creation). */
  expiresAt: string;
  /** Distinct approvers needed. */
  minApprovals: number;
  approvals: RequestApproval[];
  /** The approval that completed it, or the denial, or the cancellation. */
  decidedAt?: string;
  deniedBy?: string;
  denyComment?: string;
  /** Approved: credentials may be issued from `decidedAt` until then. */
  windowEndsAt?: string;
  /** Approved at creation by an `auto_approve` rule: who it was for and why. */
  autoApproved?: { rule: string; reason: string };
}

/** `POST /v1/requests` */
export interface CreateRequestRequest {
  profile: string;
  /** 10–500 characters, no control characters. */
  justification: string;
  /** At most the approval rule's `max_duration`; default the rule's (or 1 h). */
  durationSeconds?: number;
}

/** Query of `GET /v1/requests`. */
export interface ListRequestsQuery {
  /** `mine` (default): the caller's own; `approvable`: pending ones the caller may approve; `all`: admins only. */
  scope?: 'mine' | 'approvable' | 'all';
  status?: RequestStatus;
  /** With `scope=all`: one profile (admins list by profile, never a Scan). */
  profile?: string;
  limit?: number;
  cursor?: string;
}

export interface ListRequestsResponse {
  requests: AccessRequestView[];
  cursor?: string;
}

export interface RequestResponse {
  request: AccessRequestView;
}

/** `POST /v1/requests/{id}/approve` and `/deny` */
export interface DecideRequestRequest {
  comment?: string;
}

// ---- Break-glass -------------------------------------------------------------------

export const BREAKGLASS_STATUSES = ['active', 'closed', 'expired'] as const;
export type BreakglassStatus = (typeof BREAKGLASS_STATUSES)[number];

export interface BreakglassView {
  /** 32 hex digits; `via` = `bg-<8 hex>`. */
  id: string;
  invoker: string;
  profile: string;
  reasonCode: string;
  justification: string;
  durationSeconds: number;
  /** `expired` is effective: an active event past `expiresAt`. */
  status: BreakglassStatus;
  createdAt: string;
  expiresAt: string;
  /** The `breakglass` rule that allowed it. */
  rule: string;
  closedAt?: string;
  closedBy?: string;
  closedReason?: string;
}

/** `POST /v1/breakglass` */
export interface InvokeBreakglassRequest {
  profile: string;
  /** One of the rule's `reason_codes`. */
  reasonCode: string;
  /** 10–500 characters, no control characters. */
  justification: string;
  /** At most the rule's `max_duration`; default the rule's (or 1 h). */
  durationSeconds?: number;
}

/** `POST /v1/breakglass/{id}/close` */
export interface CloseBreakglassRequest {
  /** 1–500 characters, no control characters. */
  reason: string;
}

/** Query of `GET /v1/breakglass`. */
export interface ListBreakglassQuery {
  /** `mine` (default) or `all` (admins; with `profile`, by profile). */
  scope?: 'mine' | 'all';
  profile?: string;
  status?: BreakglassStatus;
  limit?: number;
  cursor?: string;
}

export interface ListBreakglassResponse {
  events: BreakglassView[];
  cursor?: string;
}

export interface BreakglassResponse {
  event: BreakglassView;
}
