/**
 * How the access-request commands (`sentinel request`, `requests`, `approve`, `deny`,
 * `cancel`) put requests into words. Every value may be server text: writeLines and the
 * table helpers (src/cli/table.ts) make it printable, and the commands printed for the
 * user to run quote what they name (a profile, a global option) as one shell word each.
 *
 * Printed commands repeat the global options given (`--api`, `--region`,
 * `--aws-profile`), so they work as shown in the same shell.
 */

import type { AccessRequestView } from '../../api/contract.js';
import { formatDuration } from '../../policy/duration.js';
import { minuteTime } from '../sessions/render.js';
import { tableLines } from '../table.js';
import type { GlobalWords } from './globals.js';

/** Characters a POSIX shell word can hold without quoting. */
const SHELL_SAFE = /^[A-Za-z0-9_.,:@%+=/-]+$/;

/** One shell word: bare when safe, else single-quoted (control characters are escaped by writeLines on the way out). */
function word(value: string): string {
  return SHELL_SAFE.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `sentinel` and the global options given. */
function sentinel(globals: GlobalWords): string {
  const words = ['sentinel'];
  if (globals.api !== undefined) words.push('--api', word(globals.api));
  if (globals.region !== undefined) words.push('--region', word(globals.region));
  if (globals.awsProfile !== undefined) words.push('--aws-profile', word(globals.awsProfile));
  return words.join(' ');
}

/** The `sentinel exec` that works while the request's window is open, with `<cmd>` for the command. */
export function execCommandLine(request: AccessRequestView, globals: GlobalWords): string {
  return `${sentinel(globals)} exec --profile ${word(request.profile)} -- <cmd>`;
}

/** What an approver runs to approve the request (they sign as themselves: no `--aws-profile` of the requester's). */
export function approveCommandLine(request: AccessRequestView, globals: GlobalWords): string {
  const { awsProfile: _requester, ...rest } = globals;
  return `${sentinel(rest)} approve ${request.id}`;
}

function approvalsWord(count: number): string {
  return count === 1 ? '1 approval' : `${count} approvals`;
}

/** `1 of 2 approvals (bob)`. */
export function approvalCount(request: AccessRequestView): string {
  const names = request.approvals.map((approval) => approval.approver).join(', ');
  return `${request.approvals.length} of ${approvalsWord(request.minApprovals)}${names === '' ? '' : ` (${names})`}`;
}

/** The line of a request that is now approved: by whom, until when. */
function approvedLine(request: AccessRequestView): string {
  const by = request.autoApproved !== undefined ? `automatically (${request.autoApproved.reason})` : `by ${request.approvals.map((approval) => approval.approver).join(', ')}`;
  return `request ${request.id} for profile ${request.profile} was approved ${by}: the window is open until ${request.windowEndsAt ?? '?'}`;
}

/** `sentinel request`: what was asked and what happens next. */
export function createdLines(request: AccessRequestView, globals: GlobalWords, waiting: boolean): string[] {
  if (request.status === 'approved') return [approvedLine(request), `Now: ${execCommandLine(request, globals)}`];
  const needs = request.minApprovals === 1 ? 'it needs 1 approval' : `it needs ${request.minApprovals} approvals from distinct approvers`;
  return [
    `requested profile ${request.profile} for ${formatDuration(request.durationSeconds)}: request ${request.id} is pending, ${needs} (it expires at ${request.expiresAt})`,
    `An approver runs: ${approveCommandLine(request, globals)}`,
    ...(waiting ? [] : ['Follow it with: sentinel requests --mine (or ask again with --wait)']),
  ];
}

/** The end of `sentinel request --wait`: approved (and the command that now works), denied, expired or cancelled. */
export function outcomeLines(request: AccessRequestView, globals: GlobalWords): string[] {
  const at = request.decidedAt === undefined ? '' : ` at ${request.decidedAt}`;
  switch (request.status) {
    case 'approved':
      return [approvedLine(request), `Now: ${execCommandLine(request, globals)}`];
    case 'denied': {
      const comment = request.denyComment === undefined ? '' : `: ${request.denyComment}`;
      return [`request ${request.id} for profile ${request.profile} was denied by ${request.deniedBy ?? 'an approver'}${at}${comment}`];
    }
    case 'cancelled':
      return [`request ${request.id} for profile ${request.profile} was cancelled${at}`];
    case 'expired':
      return [`request ${request.id} for profile ${request.profile} expired at ${request.expiresAt} with ${approvalCount(request)}`];
    case 'pending':
      return [`request ${request.id} for profile ${request.profile} is pending: ${approvalCount(request)}`];
  }
}

/** The status a waiting `sentinel request --wait` shows: `pending, 1 of 2 approvals (bob)`. */
export function statusText(request: AccessRequestView): string {
  return `${request.status}, ${approvalCount(request)}`;
}

/** `sentinel approve`: whether it completed the request, and what the requester can run now. */
export function approvedLines(request: AccessRequestView, globals: GlobalWords): string[] {
  if (request.status === 'approved') {
    const { awsProfile: _approver, ...rest } = globals;
    return [
      `approved request ${request.id}: ${request.requester} may use profile ${request.profile} until ${request.windowEndsAt ?? '?'}`,
      `${request.requester} runs: ${execCommandLine(request, rest)}`,
    ];
  }
  const missing = request.minApprovals - request.approvals.length;
  const more = missing === 1 ? '1 more approval from another approver' : `${missing} more approvals from other approvers`;
  return [`approved request ${request.id} of ${request.requester} for profile ${request.profile}: ${approvalCount(request)}; it needs ${more}`];
}

/** `sentinel deny`. */
export function deniedLines(request: AccessRequestView): string[] {
  return [`denied request ${request.id} of ${request.requester} for profile ${request.profile}`];
}

/** `sentinel cancel`. */
export function cancelledLines(request: AccessRequestView): string[] {
  return [`cancelled request ${request.id} for profile ${request.profile}`];
}

const HEADER = ['ID', 'REQUESTER', 'PROFILE', 'STATUS', 'APPROVALS', 'DURATION', 'CREATED', 'UNTIL', 'JUSTIFICATION'];

/** What UNTIL means for each status: a pending request's expiry, an approved one's window end. */
function until(request: AccessRequestView): string {
  if (request.status === 'pending') return minuteTime(request.expiresAt);
  if (request.status === 'approved' && request.windowEndsAt !== undefined) return minuteTime(request.windowEndsAt);
  return '-';
}

/** `sentinel requests`: one row per request, as the API sent them; `empty` when there are none. */
export function requestTableLines(requests: readonly AccessRequestView[], empty: string): string[] {
  if (requests.length === 0) return [empty];
  const rows = requests.map((request) => [
    request.id,
    request.requester,
    request.profile,
    request.status,
    `${request.approvals.length}/${request.minApprovals}`,
    formatDuration(request.durationSeconds),
    minuteTime(request.createdAt),
    until(request),
    request.justification,
  ]);
  return tableLines(HEADER, rows);
}
