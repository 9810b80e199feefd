/**
 * `sentinel requests [--mine | --pending | --all --profile P] [--profile P] [--status S]
 * [--limit N]` — access requests, newest first: your own (the default), the pending ones
 * waiting for your approval, or (admins) every request for one profile.
 */

import { Command, Option } from 'commander';
import { SESSION_PAGE_DEFAULT, SESSION_PAGE_MAX } from '../../api/constants.js';
import type { AccessRequestView, ListRequestsQuery, RequestStatus } from '../../api/contract.js';
import { REQUEST_STATUSES } from '../../api/contract.js';
import { parseLimit, parseProfile } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { ApiError } from '../errors.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeDiagnostic, writeJson, writeLines } from '../output.js';

/** The options of `sentinel requests`. */
export interface RequestListOptions {
  /** Your own requests (the default). */
  mine?: boolean;
  /** Pending requests you may approve (never your own, none you approved already). */
  pending?: boolean;
  /** Admins: every request for `--profile`. */
  all?: boolean;
  profile?: string;
  status?: RequestStatus;
  /** At most this many requests (pages are followed until there are). */
  limit?: number;
}

/** The API's scope for the flags given; more than one of them is a usage error. */
function scopeOf(options: RequestListOptions, context: CommandContext): NonNullable<ListRequestsQuery['scope']> {
  const given = [options.mine, options.pending, options.all].filter((flag) => flag === true).length;
  if (given > 1) context.usageError('error: give at most one of --mine, --pending and --all');
  if (options.all === true) {
    if (options.profile === undefined) context.usageError("error: --all needs --profile <profile> (admins list every request of one profile)");
    return 'all';
  }
  if (options.pending === true) {
    if (options.status !== undefined && options.status !== 'pending') context.usageError('error: --pending lists pending requests: leave out --status, or use --mine or --all');
    return 'approvable';
  }
  return 'mine';
}

/**
 * Lists requests: pages are followed until `--limit` requests (default 50) are found or
 * none are left. Text: an aligned table, and on stderr a note when more may exist;
 * JSON: `{ requests }`.
 *
 * @throws ApiError `NOT_ADMIN` for `--all` by a non-admin, `INVALID_REQUEST`;
 *   `API_BAD_RESPONSE` when the API hands back the cursor it was sent.
 */
export async function runRequestList(options: RequestListOptions, context: CommandContext): Promise<number> {
  const scope = scopeOf(options, context);
  const limit = options.limit ?? SESSION_PAGE_DEFAULT;
  const query: Record<string, string> = {
    scope,
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.status === undefined ? {} : { status: options.status }),
  };
  const api = await context.api();
  const requests: AccessRequestView[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listRequests({ ...query, limit: String(limit - requests.length), ...(cursor === undefined ? {} : { cursor }) });
    // The same cursor again would never end: the API is not answering what it was asked.
    if (page.cursor !== undefined && page.cursor === cursor) throw new ApiError('API_BAD_RESPONSE', 'the API answered a page of requests with the cursor it was sent; stopped listing');
    requests.push(...page.requests);
    cursor = page.cursor;
  } while (cursor !== undefined && requests.length < limit);

  if (context.format === 'json') writeJson(context.stdout, { requests });
  else {
    const { requestTableLines } = await import('../requests/render.js');
    const empty = scope === 'approvable' ? 'no requests waiting for your approval' : 'no requests';
    writeLines(context.stdout, requestTableLines(requests, empty));
  }
  if (cursor !== undefined) writeDiagnostic(context, `more requests may exist: pass --limit (up to ${SESSION_PAGE_MAX}), or narrow with --status or --profile`);
  return EXIT_OK;
}

/** The `requests` command. */
export function requestListCommand(): Command {
  return new Command('requests')
    .description('list access requests, newest first: yours, those waiting for your approval (--pending), or (admins) a profile\'s (--all)')
    .option('--mine', 'your own requests (the default)')
    .option('--pending', 'pending requests you may approve')
    .option('--all', 'admins: every request for --profile')
    .addOption(new Option('--profile <profile>', 'only requests for this profile').argParser(parseProfile))
    .addOption(new Option('--status <status>', 'only requests in this status').choices(REQUEST_STATUSES))
    .addOption(new Option('--limit <n>', `at most this many requests, 1 to ${SESSION_PAGE_MAX} (default ${SESSION_PAGE_DEFAULT})`).argParser(parseLimit))
    .action((options: RequestListOptions, command: Command) => runCommand(command, (context) => runRequestList(options, context)));
}
