/**
 * The scheduled sweep (every 5 minutes; DESIGN.md, Revocation; docs/revocation.md):
 *
 * 1. marks `expired` the sessions still `active` past `expires_at`, in every sessions
 *    table of the deployment (readers already see them as expired; this makes the
 *    stored state agree and takes them out of the active index);
 * 2. reads the whole revocation ledger, and for each profile role: prunes the deny
 *    entries of revoked sessions whose last credentials have expired, then asserts the
 *    deny for every revoked session whose credentials may still work — completing the
 *    pending ones, and restoring any id a concurrent write on the role lost.
 *
 * Every step fails closed: nothing is pruned unless the ledger was read to the end, and
 * an entry is pruned only when its session record says its credentials have expired.
 * Each failure is logged and counted; the next run starts over, and everything here is
 * idempotent.
 */

import type { Notifier } from '../notify/events.js';
import type { AccessRequestRecord } from '../requests/types.js';
import { logFailure, pendingMessage, type AwsSideDeps } from './awsSide.js';
import type { RevocationEntry } from './ledger.js';
import type { SessionStore } from './types.js';

export interface SweepDeps extends AwsSideDeps {
  sessions: SessionStore;
  /** Every sessions table of the deployment: the default and those provisioned through Sentinel. */
  sessionTables(): Promise<string[]>;
  /** Access requests past their 24 hours (src/requests/DynamoRequestStore.ts); absent, none are marked. */
  requests?: { expireOverdue(request: { now: string; limit: number }): Promise<{ expired: AccessRequestRecord[]; more: boolean }> };
  /** Where `request.expired` events go. */
  notifier?: Notifier;
}

export interface SweepOptions {
  /** Sessions one run marks expired per table (default 1,000); the next run goes on. */
  expireLimit?: number;
}

export interface SweepReport {
  /** Sessions marked `expired`. */
  expired: number;
  /** Whether a table still had overdue sessions when the limit was reached. */
  moreOverdue: boolean;
  /** Revoked sessions whose deny is on their role after this run. */
  denied: number;
  /** Revoked sessions whose deny is still pending (IAM failed). */
  pending: number;
  /** Deny entries removed because their credentials had expired. */
  pruned: number;
  /** Ledger entries dropped: pruned, or whose session was never revoked. */
  forgotten: number;
  /** Pending access requests marked `expired` (each announced as `request.expired`). */
  requestsExpired: number;
  /** Steps that failed, IAM's refusals included (each logged). */
  failures: number;
}

/**
 * Credentials are refused by AWS from their expiry on; the deny stays this much longer,
 * so a clock a little ahead of AWS's never lifts one early.
 */
export const PRUNE_MARGIN_MS = 5 * 60_000;

/**
 * An entry whose session is not revoked is an intent a revocation recorded and then
 * did not carry out (refused, or stopped); it is dropped once it is this old, so the
 * sweep never races a revocation that is still between its two writes.
 */
export const ORPHAN_AGE_MS = 5 * 60_000;

const DEFAULT_EXPIRE_LIMIT = 1000;

interface Resolved {
  entry: RevocationEntry;
  roleArn: string;
  expiresAt: string;
  /** The ledger lacks the record's role or expiry, or says pending: worth a write when settled. */
  unsettled: boolean;
}

export async function sweep(now: Date, deps: SweepDeps, options: SweepOptions = {}): Promise<SweepReport> {
  const report: SweepReport = { expired: 0, moreOverdue: false, denied: 0, pending: 0, pruned: 0, forgotten: 0, requestsExpired: 0, failures: 0 };
  const fail = (message: string, fields: Record<string, unknown>): void => {
    report.failures += 1;
    deps.log.error(message, fields);
  };
  await expireOverdue(now, deps, options.expireLimit ?? DEFAULT_EXPIRE_LIMIT, report, fail);
  await expireRequests(now, deps, options.expireLimit ?? DEFAULT_EXPIRE_LIMIT, report, fail);

  let entries: RevocationEntry[];
  try {
    entries = await deps.ledger.all();
  } catch (error) {
    fail('sweep: could not read the revocation ledger; nothing pruned or retried', { error });
    return report;
  }
  const resolved = await resolveEntries(entries, now, deps, report, fail);
  const byRole = new Map<string, Resolved[]>();
  for (const item of resolved) byRole.set(item.roleArn, [...(byRole.get(item.roleArn) ?? []), item]);
  const pruneBefore = new Date(now.getTime() - PRUNE_MARGIN_MS).toISOString();
  for (const [roleArn, items] of byRole) {
    // Prune first: a full policy makes room before the pending denies are retried.
    const expired = items.filter((item) => item.expiresAt <= pruneBefore);
    const live = items.filter((item) => item.expiresAt > pruneBefore);
    if (expired.length > 0) await prune(roleArn, expired, deps, report, fail);
    if (live.length > 0) await assertDeny(roleArn, live, deps, report, fail);
  }
  return report;
}

async function expireOverdue(now: Date, deps: SweepDeps, limit: number, report: SweepReport, fail: (message: string, fields: Record<string, unknown>) => void): Promise<void> {
  let tables: string[];
  try {
    tables = await deps.sessionTables();
  } catch (error) {
    fail('sweep: could not list the sessions tables; no session marked expired', { error });
    return;
  }
  for (const table of tables) {
    try {
      const { expired, more } = await deps.sessions.expireOverdue(table, { now: now.toISOString(), limit });
      report.expired += expired;
      report.moreOverdue ||= more;
    } catch (error) {
      fail('sweep: could not mark overdue sessions expired', { table, error });
    }
  }
}

/** Marks overdue pending requests expired and announces each; readers already saw them as expired. */
async function expireRequests(now: Date, deps: SweepDeps, limit: number, report: SweepReport, fail: (message: string, fields: Record<string, unknown>) => void): Promise<void> {
  if (deps.requests === undefined) return;
  let expired: AccessRequestRecord[];
  try {
    ({ expired } = await deps.requests.expireOverdue({ now: now.toISOString(), limit }));
  } catch (error) {
    fail('sweep: could not mark overdue access requests expired', { error });
    return;
  }
  report.requestsExpired += expired.length;
  for (const request of expired) {
    await deps.notifier?.publish({
      type: 'request.expired',
      at: now.toISOString(),
      actor: 'sentinel',
      id: request.id,
      profile: request.profile,
      user: request.requester,
      summary: `the request of ${request.requester} for ${request.profile} expired without a decision`,
      command: `sentinel request --profile ${request.profile} --justification "…"`,
      details: { justification: request.justification, approvals: request.approvals.length, minApprovals: request.minApprovals },
    });
  }
}

/**
 * Each entry with the role and expiry of its session record (read once, then kept in
 * the ledger: a revoked record never changes). Entries whose session is not revoked are
 * dropped when old enough; entries whose record cannot be read wait for the next run.
 */
async function resolveEntries(entries: readonly RevocationEntry[], now: Date, deps: SweepDeps, report: SweepReport, fail: (message: string, fields: Record<string, unknown>) => void): Promise<Resolved[]> {
  const resolved: Resolved[] = [];
  const orphans: string[] = [];
  for (const entry of entries) {
    if (entry.roleArn !== undefined && entry.expiresAt !== undefined) {
      resolved.push({ entry, roleArn: entry.roleArn, expiresAt: entry.expiresAt, unsettled: entry.aws === 'pending' });
      continue;
    }
    let session;
    try {
      session = await deps.sessions.get(entry.sessionTable, entry.sessionId);
    } catch (error) {
      fail('sweep: could not read a revoked session; its AWS side waits for the next run', { sessionId: entry.sessionId, table: entry.sessionTable, error });
      continue;
    }
    if (session?.status === 'revoked') {
      resolved.push({ entry: { ...entry, revokedAt: session.revokedAt ?? entry.revokedAt }, roleArn: session.roleArn, expiresAt: session.expiresAt, unsettled: true });
    } else if (Date.parse(entry.revokedAt) <= now.getTime() - ORPHAN_AGE_MS) {
      orphans.push(entry.sessionId);
    }
  }
  if (orphans.length > 0) {
    try {
      await deps.ledger.forget(orphans);
      report.forgotten += orphans.length;
    } catch (error) {
      fail('sweep: could not drop ledger entries of sessions never revoked', { sessions: orphans, error });
    }
  }
  return resolved;
}

async function prune(roleArn: string, expired: readonly Resolved[], deps: SweepDeps, report: SweepReport, fail: (message: string, fields: Record<string, unknown>) => void): Promise<void> {
  const ids = expired.map((item) => item.entry.sessionId);
  try {
    const { removed } = await deps.revoker.prune(roleArn, new Set(ids));
    report.pruned += removed.length;
  } catch (error) {
    fail('sweep: could not prune expired revocations', { roleArn, sessions: ids, error });
    return;
  }
  try {
    await deps.ledger.forget(ids);
    report.forgotten += ids.length;
  } catch (error) {
    // The entries come back next run and are pruned again, which is then a no-op.
    fail('sweep: could not drop pruned ledger entries', { roleArn, sessions: ids, error });
  }
}

async function assertDeny(roleArn: string, live: readonly Resolved[], deps: SweepDeps, report: SweepReport, fail: (message: string, fields: Record<string, unknown>) => void): Promise<void> {
  const ids = live.map((item) => item.entry.sessionId);
  let denied: boolean;
  let message = '';
  try {
    const outcome = await deps.revoker.deny(roleArn, ids);
    denied = true;
    if (outcome.added.length > 0 && live.every((item) => !item.unsettled)) {
      // Every entry was settled as denied, yet ids were missing: a concurrent write on the role had lost them.
      deps.log.warn('sweep: restored revocations missing from a role policy', { roleArn, sessions: outcome.added });
    }
  } catch (error) {
    denied = false;
    message = pendingMessage(error);
    logFailure(error, roleArn, ids, deps.log);
    report.failures += 1;
  }
  if (denied) report.denied += ids.length;
  else report.pending += ids.length;
  const toSettle = live.filter((item) => item.unsettled || !denied);
  if (toSettle.length === 0) return;
  try {
    await deps.ledger.settle(
      toSettle.map(({ entry, expiresAt }) => {
        const base = { sessionId: entry.sessionId, sessionTable: entry.sessionTable, revokedAt: entry.revokedAt, roleArn, expiresAt };
        return denied ? { ...base, aws: 'denied' as const } : { ...base, aws: 'pending' as const, error: message };
      }),
    );
  } catch (error) {
    fail('sweep: could not record the AWS side of revocations', { roleArn, sessions: toSettle.map((item) => item.entry.sessionId), error });
  }
}
