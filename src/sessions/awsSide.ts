/**
 * The AWS side of a revocation (DESIGN.md, Revocation; docs/revocation.md), shared by
 * the revoke routes and the sweep: the deny written into each profile role's
 * `SentinelRevokedSessions` policy, its outcome recorded in the ledger, and the alert
 * line when a role's policy has no room left.
 */

import type { RevocationAwsSide } from '../api/contract.js';
import { SentinelError } from '../errors.js';
import type { RevocationLedger } from './ledger.js';
import { RevocationPolicyFullError, type RoleRevoker } from './revocation.js';
import type { SessionRecord } from './types.js';

/** What the revocation code logs: structured lines, never a credential. */
export interface RevocationLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

/** The field an alarm matches (a CloudWatch metric filter on `{ $.alert = "SentinelRevocationPolicyFull" }`). */
export const POLICY_FULL_ALERT = 'SentinelRevocationPolicyFull';

/** The `alert` of every other failed AWS-side step (pending until the sweep lands it): the revocation-failures alarm counts both. */
export const PENDING_ALERT = 'SentinelRevocationPending';

export interface AwsSideDeps {
  ledger: RevocationLedger;
  revoker: RoleRevoker;
  log: RevocationLog;
}

/** A revoked session as the AWS side needs it: its id, table, role and the end of its last credentials. */
export type RevokedSession = Pick<SessionRecord, 'id' | 'roleArn' | 'expiresAt' | 'revokedAt'> & { table: string };

/**
 * Denies `sessions` at AWS, one `deny` per role, and records each outcome in the
 * ledger. Never throws for IAM: a failure leaves the sessions `pending` (the sweep
 * retries) and is what the answer says. A ledger write that fails after IAM answered
 * is logged and not fatal: the entry then stays `pending` and the sweep repeats a deny
 * that is already there, which IAM's document makes a no-op.
 *
 * @param revokedAt for sessions whose record lacks it (none should)
 */
export async function denyAtAws(sessions: readonly RevokedSession[], revokedAt: string, deps: AwsSideDeps): Promise<Map<string, RevocationAwsSide>> {
  const outcomes = new Map<string, RevocationAwsSide>();
  const byRole = new Map<string, RevokedSession[]>();
  for (const session of sessions) byRole.set(session.roleArn, [...(byRole.get(session.roleArn) ?? []), session]);
  for (const [roleArn, ofRole] of byRole) {
    const ids = ofRole.map((session) => session.id);
    let outcome: RevocationAwsSide;
    try {
      const result = await deps.revoker.deny(roleArn, ids);
      outcome = { status: 'denied' };
      if (result.status === 'role-missing') deps.log.warn('the role of revoked sessions no longer exists: nothing to deny at AWS', { roleArn, sessions: ids });
    } catch (error) {
      outcome = { status: 'pending', message: pendingMessage(error) };
      logFailure(error, roleArn, ids, deps.log);
    }
    for (const id of ids) outcomes.set(id, outcome);
  }
  try {
    await deps.ledger.settle(
      sessions.map((session) => {
        const outcome = outcomes.get(session.id) as RevocationAwsSide;
        const entry = { sessionId: session.id, sessionTable: session.table, revokedAt: session.revokedAt ?? revokedAt, roleArn: session.roleArn, expiresAt: session.expiresAt };
        return outcome.status === 'denied' ? { ...entry, aws: 'denied' as const } : { ...entry, aws: 'pending' as const, error: outcome.message ?? 'pending' };
      }),
    );
  } catch (error) {
    deps.log.error('could not record the AWS side of revocations; the sweep will repeat it', { sessions: sessions.map((session) => session.id), error });
  }
  return outcomes;
}

/** What the admin is told while the AWS side is pending: Sentinel's own message (never AWS's text, which stays in the log). */
export function pendingMessage(error: unknown): string {
  const reason = error instanceof SentinelError ? error.message : 'the IAM step failed unexpectedly';
  return `${reason}; the sweep retries every 5 minutes`;
}

/** A full policy is an alert (someone must act); any other failure a warning the sweep will retry. */
export function logFailure(error: unknown, roleArn: string, sessionIds: readonly string[], log: RevocationLog): void {
  if (error instanceof RevocationPolicyFullError) {
    log.error('revocation policy full: the AWS-side deny is pending', { alert: POLICY_FULL_ALERT, roleArn, sessions: sessionIds, entries: error.entries, characters: error.characters });
    return;
  }
  const fields = { alert: PENDING_ALERT, roleArn, sessions: sessionIds, error };
  if (error instanceof SentinelError) log.warn('the AWS side of a revocation is pending', fields);
  else log.error('the AWS side of a revocation failed unexpectedly; it is pending', fields);
}
