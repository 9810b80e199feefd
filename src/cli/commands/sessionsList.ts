/**
 * `sentinel sessions list` (and its alias `server-sessions`) — sessions from the
 * session table, newest first: your own, or for admins a named user's or profile's.
 */

import { Command, Option } from 'commander';
import { SESSION_PAGE_DEFAULT, SESSION_PAGE_MAX } from '../../api/constants.js';
import type { SessionView } from '../../api/contract.js';
import type { SessionStatus } from '../../sessions/types.js';
import { SESSION_STATUSES } from '../../sessions/types.js';
import type { Since } from '../arguments.js';
import { parseLimit, parseProfile, parseSince, parseUser, sessionTableOption, sinceTime } from '../arguments.js';
import type { SentinelApi } from '../api/types.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { ApiError } from '../errors.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeDiagnostic, writeJson, writeLines } from '../output.js';

/** The options of `sentinel sessions list`. */
export interface SessionsListOptions {
  user?: string;
  profile?: string;
  status?: SessionStatus;
  since?: Since;
  /** Sessions per page (the API's `limit`). */
  limit?: number;
  /** Follow the cursors to the last page. */
  all?: boolean;
  sessionTable?: string;
}

/**
 * The query every page is asked with. With neither `--user` nor `--profile` it names
 * the caller (from `whoami`): an admin's listing must name someone (the API would have
 * to Scan the table otherwise), and "my sessions" is what a bare `list` means for anyone.
 */
async function listQuery(api: SentinelApi, options: SessionsListOptions, context: CommandContext): Promise<Record<string, string>> {
  const user = options.user ?? (options.profile === undefined ? (await api.whoami()).user : undefined);
  return {
    ...(user === undefined ? {} : { user }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.status === undefined ? {} : { status: options.status }),
    ...(options.since === undefined ? {} : { since: sinceTime(options.since, context.now()) }),
    ...(options.limit === undefined ? {} : { limit: String(options.limit) }),
    ...(options.sessionTable === undefined ? {} : { sessionTable: options.sessionTable }),
  };
}

/**
 * Lists sessions: one page (the first that holds any: with `--status` the API filters
 * after reading, so a page can be empty and still have a cursor), or with `--all` every
 * page. Text: an aligned table, and on stderr a note when more may exist; JSON:
 * `{ sessions }`.
 *
 * @throws ApiError the API's refusals (`NOT_ADMIN` for another user's sessions,
 *   `INVALID_REQUEST`, …); `API_BAD_RESPONSE` when the API hands back the cursor it was sent.
 */
export async function runSessionsList(options: SessionsListOptions, context: CommandContext): Promise<number> {
  const api = await context.api();
  const query = await listQuery(api, options, context);
  const sessions: SessionView[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listSessions(cursor === undefined ? query : { ...query, cursor });
    // The same cursor again would never end: the API is not answering what it was asked.
    if (page.cursor !== undefined && page.cursor === cursor) throw new ApiError('API_BAD_RESPONSE', 'the API answered a page of sessions with the cursor it was sent; stopped listing');
    sessions.push(...page.sessions);
    cursor = page.cursor;
  } while (cursor !== undefined && (options.all === true || sessions.length === 0));

  if (context.format === 'json') writeJson(context.stdout, { sessions });
  else {
    const { sessionTableLines } = await import('../sessions/render.js');
    writeLines(context.stdout, sessionTableLines(sessions));
  }
  if (cursor !== undefined) writeDiagnostic(context, 'more sessions may exist: pass --all to list them all');
  return EXIT_OK;
}

/** The list command under `name`: `list` in `sentinel sessions`, `server-sessions` at the top (the original Sentinel's name). */
export function sessionsListCommand(name = 'list'): Command {
  return new Command(name)
    .description('list sessions, newest first: your own, or (admins) a user\'s or a profile\'s')
    .addOption(new Option('--user <user>', 'sessions of this user (admins; default: yours)').argParser(parseUser))
    .addOption(new Option('--profile <profile>', 'sessions for this profile (admins: every user\'s; others: only their own)').argParser(parseProfile))
    .addOption(new Option('--status <status>', 'only sessions in this status').choices(SESSION_STATUSES))
    .addOption(new Option('--since <time>', 'only sessions started since then: RFC 3339 (2025-03-14T09:30:00Z) or a duration back from now (30m, 24h)').argParser(parseSince))
    .addOption(new Option('--limit <n>', `sessions per page, 1 to ${SESSION_PAGE_MAX} (default ${SESSION_PAGE_DEFAULT})`).argParser(parseLimit))
    .option('--all', 'follow the pages to the end (default: one page)')
    .addOption(sessionTableOption())
    .action((options: SessionsListOptions, command: Command) => runCommand(command, (context) => runSessionsList(options, context)));
}
