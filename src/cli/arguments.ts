/**
 * Option parsers the commands share, with the contract's own rules (src/api/constants.ts),
 * so the CLI refuses exactly what the API would, before any request.
 */

import { InvalidArgumentError, Option } from 'commander';
import { PROFILE_NAME, SESSION_ID, SESSION_PAGE_MAX, USER_NAME } from '../api/constants.js';
import { parseDuration } from '../policy/duration.js';
import { parseRfc3339 } from './timestamp.js';

/** `--profile`: a profile name as the policy and the API accept it. */
export function parseProfile(value: string): string {
  if (!PROFILE_NAME.test(value)) throw new InvalidArgumentError('Profile names are 1 to 64 letters, digits, "_", "." and "-".');
  return value;
}

/** `--user` of the session commands: a Sentinel user name as the API spells it (docs/identity.md). */
export function parseUser(value: string): string {
  if (!USER_NAME.test(value)) throw new InvalidArgumentError('Expected a Sentinel user name such as alice, iam:erin or role:deploy/ci-42 (as sentinel whoami shows it).');
  return value;
}

/** A session id argument: 32 lowercase hex digits, as `sentinel sessions list` shows them. */
export function parseSessionId(value: string): string {
  if (!SESSION_ID.test(value)) throw new InvalidArgumentError('Expected a session id: 32 lowercase hex digits, as sentinel sessions list shows them.');
  return value;
}

/** `--limit` of `sessions list`: sessions per page, as the API accepts it. */
export function parseLimit(value: string): number {
  const limit = /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= SESSION_PAGE_MAX)) throw new InvalidArgumentError(`Expected a whole number from 1 to ${SESSION_PAGE_MAX}.`);
  return limit;
}

/** `--since`: a moment (RFC 3339), or a duration back from now (`90m`, `24h`), resolved when the command runs. */
export type Since = { at: Date } | { agoSeconds: number };

/** `--since`: an RFC 3339 timestamp, else a duration as the policy writes them (`30m`, `24h`, `1h30m`). */
export function parseSince(value: string): Since {
  const at = parseRfc3339(value);
  if (at !== undefined) return { at };
  const agoSeconds = parseDuration(value);
  if (agoSeconds !== undefined) return { agoSeconds };
  throw new InvalidArgumentError('Expected an RFC 3339 timestamp such as 2025-03-14T09:30:00Z, or a duration back from now such as 30m or 24h.');
}

/** The ISO time a {@link Since} names, `now` being milliseconds since the epoch. */
export function sinceTime(since: Since, now: number): string {
  return ('at' in since ? since.at : new Date(now - since.agoSeconds * 1000)).toISOString();
}

/**
 * `--session-table T` of the session commands: the table the session lives in; default
 * `$SENTINEL_SESSION_TABLE`, else the deployment's default table (as for `exec`).
 */
export function sessionTableOption(): Option {
  return new Option('--session-table <table>', "the session table (default: the deployment's)").env('SENTINEL_SESSION_TABLE');
}

/** A request id argument (`sentinel approve ID`): 32 lowercase hex digits, as `sentinel requests` shows them. */
export function parseRequestId(value: string): string {
  if (!SESSION_ID.test(value)) throw new InvalidArgumentError('Expected a request id: 32 lowercase hex digits, as sentinel requests shows them.');
  return value;
}
