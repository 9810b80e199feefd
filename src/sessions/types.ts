/**
 * The session record and the port that stores it (DESIGN.md, Tables: sessions).
 *
 * Field names here are camelCase; the adapter maps them to the table's snake_case
 * attribute names. Timestamps are ISO-8601 UTC with `Z`; `ttl` is epoch seconds.
 */

import type { Mode } from '../policy/types.js';

/**
 * `pending`: written before STS is called, not yet usable; `active`: credentials were
 * delivered under it; the rest are final.
 */
export const SESSION_STATUSES = ['pending', 'active', 'revoked', 'ended', 'expired', 'failed'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export interface SessionRecord {
  id: string;
  user: string;
  callerArn: string;
  accountId: string;
  profile: string;
  roleArn: string;
  mode: Mode;
  status: SessionStatus;
  sourceIdentity: string;
  createdAt: string;
  lastAccessAt: string;
  /** Expiry of the last credentials issued under the session (planned expiry until STS answers). */
  expiresAt: string;
  requestCount: number;
  revokedBy?: string;
  revokedReason?: string;
  revokedAt?: string;
  endedAt?: string;
  /** Epoch seconds: end of life plus the audit retention period. */
  ttl: number;
}

/**
 * Where sessions live. Every method names the table, because the effective table is
 * decided per request (rule → request → deployment default).
 *
 * Errors: a DynamoDB failure is translated once for every store (src/aws/dynamoErrors.ts):
 * throttling, DynamoDB faults, network errors, a missing table and refused permissions
 * become `UnavailableError` (503 with Retry-After; a missing table is a deployment
 * problem, Retry-After 30 s); a request DynamoDB rejects, or a fault nobody foresaw, is
 * `INTERNAL`. Whether a client may name a table at all is decided before the store is
 * asked (the registry of provisioned tables). State errors are described per method.
 */
export interface SessionStore {
  /**
   * Conditional put (`attribute_not_exists(id)`): status `pending`, request count 1.
   * A pending session is never refreshable; {@link markIssued} makes it `active`. The id
   * is drawn for the request, so a failed condition is the request's own write landing
   * late: `UnavailableError`, never a conflict the caller could resolve.
   */
  create(table: string, session: SessionRecord): Promise<void>;

  /**
   * Records the credentials just issued: status `active` (into the active index),
   * `expires_at` (and `ttl`) move to the credentials' expiry, only while the session
   * is still `pending` (a new session) or `active` (a refresh). If it is neither (a
   * revoke landed between the write and STS), throws the state error of `refresh` and
   * the caller must discard the credentials.
   */
  markIssued(table: string, id: string, update: { user: string; expiresAt: string; ttl: number }): Promise<void>;

  /** STS failed for a new session: `pending` → `failed`. Never throws on a state mismatch. */
  markFailed(table: string, id: string, at: string): Promise<void>;

  /**
   * A server-mode refresh: one conditional UpdateItem (`status = active AND user =
   * :caller AND profile = :profile AND expires_at > :now`) that bumps
   * `last_access_at` and `request_count`; returns the updated record. When the
   * condition fails, reads the item to say why: `NOT_FOUND`, `NOT_OWNER` (other
   * user), `CONFLICT` (other profile, or a session still being issued),
   * `SESSION_REVOKED`, `SESSION_ENDED`, `SESSION_EXPIRED` (also for `failed`, a stale
   * `pending` and past `expires_at`).
   */
  refresh(table: string, request: { id: string; user: string; profile: string; now: string }): Promise<SessionRecord>;

  /** The owner ends an active session: status `ended`, `ended_at`. Same errors as `refresh`. */
  end(table: string, request: { id: string; user: string; now: string }): Promise<SessionRecord>;

  get(table: string, id: string): Promise<SessionRecord | undefined>;

  /**
   * One page of sessions, newest first, read with a Query on the `by-user` or
   * `by-profile` index (never a Scan). `statuses` are effective statuses
   * ({@link effectiveStatus} at `now`), matched in the query's filter; `next` is where
   * the following page starts (DynamoDB's LastEvaluatedKey, or the key of the last
   * session returned), absent at the end.
   */
  list(table: string, query: SessionQuery): Promise<SessionPage>;

  /**
   * Revokes a session: one conditional UpdateItem (`status IN (active, pending) AND
   * expires_at > :now`) that sets `revoked`, `revoked_by`, `revoked_reason`,
   * `revoked_at` and takes it out of the active index. A session already revoked is
   * answered as it is (`revoked: false`: the existing revocation stands). Throws
   * `NOT_FOUND`, or `CONFLICT` naming the state of a session that is ended, expired or
   * failed (effective status).
   */
  revoke(table: string, request: { id: string; by: string; reason: string; now: string }): Promise<{ revoked: boolean; session: SessionRecord }>;

  /**
   * The sweep: marks `expired` up to `limit` sessions still `active` whose `expires_at`
   * has passed, each with one conditional UpdateItem (a session refreshed or revoked
   * meanwhile is left alone). Reads the sparse `by-active` index, which holds only
   * active sessions, with a Scan: the sweep is not a request path, and the index is as
   * small as the number of sessions in use. Returns how many it marked and whether
   * overdue sessions may remain (the next sweep goes on).
   */
  expireOverdue(table: string, request: { now: string; limit: number }): Promise<{ expired: number; more: boolean }>;
}

/** The indexes a session listing may read (src/provisioning/schemas.ts): by owner or by profile, each sorted by `created_at`. */
export type SessionIndex = 'by-user' | 'by-profile';

/** What {@link SessionStore.list} reads. */
export interface SessionQuery {
  index: SessionIndex;
  /** The index's partition value: a user name (`by-user`) or a profile name (`by-profile`). */
  key: string;
  /** Only sessions whose effective status at `now` is one of these; all when absent. */
  statuses?: readonly SessionStatus[];
  /** Only this profile (with `by-user`) or this user (with `by-profile`). */
  also?: { user?: string; profile?: string };
  /** Only sessions created at or after this ISO time (the index's sort key). */
  since?: string;
  /** At most this many sessions. */
  limit: number;
  now: string;
  /** Where to start: the `next` of the previous page. */
  startKey?: Record<string, unknown>;
}

export interface SessionPage {
  sessions: SessionRecord[];
  next?: Record<string, unknown>;
}

/**
 * The status a reader should see at `now`: a `pending` session whose planned expiry has
 * passed was left behind by an issuance that never finished (a crash between the
 * session write and the update after STS) and reads as `failed`; an `active` one past
 * `expires_at` reads as `expired` before any sweep marks it.
 */
export function effectiveStatus(session: Pick<SessionRecord, 'status' | 'expiresAt'>, now: string): SessionStatus {
  if (session.expiresAt > now) return session.status;
  if (session.status === 'pending') return 'failed';
  if (session.status === 'active') return 'expired';
  return session.status;
}
