/**
 * How the break-glass commands (`sentinel breakglass`, `… list`, `… close`) put events
 * into words. Every value may be server text: the table helpers (src/cli/table.ts) and
 * writeLines make it printable, so a justification carrying escape sequences shows them
 * as `\u001b…` and changes nothing on the terminal.
 */

import type { BreakglassView } from '../../api/contract.js';
import { minuteTime } from '../sessions/render.js';
import { fieldLines, tableLines } from '../table.js';

/** Characters a POSIX shell word can hold without quoting. */
const SHELL_SAFE = /^[A-Za-z0-9_.,:@%+=/-]+$/;

/** A value the user typed, as one shell word of a command to copy (single-quoted unless safe). */
function word(value: string): string {
  return SHELL_SAFE.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The global options that said where the API is and who signs, as the user gave them: the commands printed repeat them. */
export interface GlobalWords {
  api?: string;
  region?: string;
  awsProfile?: string;
}

function sentinel(globals: GlobalWords): string {
  const words = ['sentinel'];
  if (globals.api !== undefined) words.push('--api', word(globals.api));
  if (globals.region !== undefined) words.push('--region', word(globals.region));
  if (globals.awsProfile !== undefined) words.push('--aws-profile', word(globals.awsProfile));
  return words.join(' ');
}

/** The exact `sentinel exec` that works under the event, with `<cmd>` for the command to run. */
export function execCommandLine(event: BreakglassView, globals: GlobalWords): string {
  return `${sentinel(globals)} exec --profile ${word(event.profile)} -- <cmd>`;
}

/** The command that closes the event, with `"…"` for the reason. */
export function closeCommandLine(event: BreakglassView, globals: GlobalWords): string {
  return `${sentinel(globals)} breakglass close ${event.id} --reason "…"`;
}

/**
 * `sentinel breakglass`: the event just invoked, what now works, how to close it. The
 * first line says it is audited: every issuance under it is logged and alerted.
 */
export function invokedLines(event: BreakglassView, globals: GlobalWords): string[] {
  return [
    `break-glass event ${event.id} is active for profile ${event.profile} until ${event.expiresAt} (every use is logged and alerted)`,
    ...fieldLines([
      ['rule', event.rule],
      ['reason code', event.reasonCode],
      ['justification', event.justification],
      ['started', event.createdAt],
      ['expires', event.expiresAt],
    ]).map((line) => `  ${line}`),
    `Now: ${execCommandLine(event, globals)}`,
    `When done: ${closeCommandLine(event, globals)}`,
  ];
}

const HEADER = ['ID', 'INVOKER', 'PROFILE', 'REASON', 'STATUS', 'STARTED', 'EXPIRES', 'CLOSED BY'];

/** `breakglass list`: one row per event, newest first as the API sent them; `no break-glass events` for none. */
export function eventTableLines(events: readonly BreakglassView[]): string[] {
  if (events.length === 0) return ['no break-glass events'];
  const rows = events.map((event) => [event.id, event.invoker, event.profile, event.reasonCode, event.status, minuteTime(event.createdAt), minuteTime(event.expiresAt), event.closedBy ?? '']);
  return tableLines(HEADER, rows);
}

/** `breakglass close`: what was closed, by whom and why. */
export function closedLines(event: BreakglassView): string[] {
  const reason = event.closedReason === undefined ? '' : `: ${event.closedReason}`;
  return [
    `closed break-glass event ${event.id} (invoker ${event.invoker}, profile ${event.profile})`,
    `closed by ${event.closedBy ?? 'you'}${event.closedAt === undefined ? '' : ` at ${event.closedAt}`}${reason}`,
    'No new credentials are issued under it; credentials already handed out work until they expire (an admin can revoke their sessions: sentinel sessions revoke).',
  ];
}
