/**
 * How the session commands (`sentinel sessions list|show|revoke|end`) put sessions and
 * revocations into words. Every value may be server text: the table helpers
 * (src/cli/table.ts) and writeLines make it printable, so a profile name or a reason
 * carrying escape sequences shows them as `\u001b…` and changes nothing on the terminal.
 *
 * Times in the table are UTC to the minute (`2025-03-14T09:30Z`), short enough for nine
 * columns; `show` and the revocation lines print them as the API sent them, to the
 * millisecond.
 */

import type { RevocationAwsSide, RevokeSessionResponse, RevokeSessionsResponse, SessionView } from '../../api/contract.js';
import { fieldLines, tableLines } from '../table.js';

/** A time to the minute in UTC (`2025-03-14T09:30Z`); anything that is not a time is shown as it came. */
export function minuteTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

const HEADER = ['ID', 'USER', 'PROFILE', 'MODE', 'STATUS', 'STARTED', 'LAST ACCESS', 'REQUESTS', 'EXPIRES'];
const REQUESTS_COLUMN = HEADER.indexOf('REQUESTS');

/** `sessions list`: one row per session, newest first as the API sent them; `no sessions` for none. */
export function sessionTableLines(sessions: readonly SessionView[]): string[] {
  if (sessions.length === 0) return ['no sessions'];
  const rows = sessions.map((session) => [
    session.id,
    session.user,
    session.profile,
    session.mode,
    session.status,
    minuteTime(session.createdAt),
    minuteTime(session.lastAccessAt),
    String(session.requestCount),
    minuteTime(session.expiresAt),
  ]);
  return tableLines(HEADER, rows, { rightAligned: [REQUESTS_COLUMN] });
}

/** `sessions show`: one field per line; the revocation and end fields only when the session has them. */
export function sessionFieldLines(session: SessionView): string[] {
  const fields: Array<[string, string | undefined]> = [
    ['id', session.id],
    ['user', session.user],
    ['profile', session.profile],
    ['mode', session.mode],
    ['status', session.status],
    ['started', session.createdAt],
    ['last access', session.lastAccessAt],
    ['requests', String(session.requestCount)],
    ['expires', session.expiresAt],
    ['revoked by', session.revokedBy],
    ['revoked reason', session.revokedReason],
    ['revoked at', session.revokedAt],
    ['ended at', session.endedAt],
    ['role', session.roleArn],
    ['caller', session.callerArn],
    ['account', session.accountId],
    ['source identity', session.sourceIdentity],
    ['table', session.table],
  ];
  return fieldLines(fields.filter((field): field is [string, string] => field[1] !== undefined));
}

/** The AWS side of one revocation, as one line. */
export function awsSideLine(aws: RevocationAwsSide): string {
  if (aws.status === 'denied') {
    return 'AWS: the deny is on the role: credentials already handed out stop working at AWS once IAM has propagated the change';
  }
  const why = aws.message === undefined ? '' : ` (${aws.message})`;
  return `AWS: pending${why}: the scheduled sweep completes the deny; until then credentials already handed out keep working at AWS until they expire, while Sentinel already refuses every refresh and re-check`;
}

/** `who session` in the revocation lines: whose session, for which profile. */
function sessionName(session: SessionView): string {
  return `session ${session.id} (user ${session.user}, profile ${session.profile})`;
}

/**
 * `sessions revoke ID`: what was revoked, by whom and why, and the AWS side. `earlier`:
 * the answer is a revocation made before this call (the API answers the existing one).
 */
export function revocationLines(answer: RevokeSessionResponse, earlier: boolean): string[] {
  const { session } = answer;
  const by = `${session.revokedBy ?? 'an admin'}${session.revokedAt === undefined ? '' : ` at ${session.revokedAt}`}`;
  const reason = session.revokedReason === undefined ? '' : `: ${session.revokedReason}`;
  const first = earlier ? `${sessionName(session)} was already revoked by ${by}${reason}` : `revoked ${sessionName(session)}`;
  return [first, ...(earlier ? [] : [`revoked by ${by}${reason}`]), awsSideLine(answer.aws)];
}

/** Whose sessions a bulk revocation names. */
export type RevocationTarget = { user: string } | { profile: string };

/** `user alice`, `profile prod`: the target as the confirmation and the totals name it. */
export function targetName(target: RevocationTarget): string {
  return 'user' in target ? `user ${target.user}` : `profile ${target.profile}`;
}

function sessionsWord(count: number): string {
  return count === 1 ? '1 session' : `${count} sessions`;
}

/** `sessions revoke --user U | --profile P`: the totals of every call, and the AWS side of what was revoked. */
export function bulkRevocationLines(target: RevocationTarget, totals: Omit<RevokeSessionsResponse, 'cursor'>): string[] {
  const skipped = totals.skipped === 0 ? '' : ` (${totals.skipped} skipped: ended, expired or revoked by someone else meanwhile)`;
  if (totals.revoked === 0) return [`no active sessions of ${targetName(target)} to revoke${skipped}`];
  const lines = [`revoked ${sessionsWord(totals.revoked)} of ${targetName(target)}${skipped}`];
  if (totals.awsPending === 0) {
    lines.push('AWS: the deny is on the roles: credentials already handed out stop working at AWS once IAM has propagated the change');
  } else {
    lines.push(
      `AWS: pending for ${totals.awsPending} of them: the scheduled sweep completes the deny; until then their credentials already handed out keep working at AWS until they expire, while Sentinel already refuses every refresh and re-check`,
    );
  }
  return lines;
}
