/**
 * `sentinel breakglass list [--all --profile P] [--status S]` — break-glass events,
 * newest first: your own, or (admins, `--all`) everyone's for one profile.
 */

import { Command, Option } from 'commander';
import { SESSION_PAGE_DEFAULT, SESSION_PAGE_MAX } from '../../api/constants.js';
import type { BreakglassStatus, BreakglassView } from '../../api/contract.js';
import { BREAKGLASS_STATUSES } from '../../api/contract.js';
import { parseLimit, parseProfile } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { ApiError } from '../errors.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeDiagnostic, writeJson, writeLines } from '../output.js';

/** The options of `sentinel breakglass list`. */
export interface BreakglassListOptions {
  /** Everyone's events (admins): needs `profile`, since the API lists everyone's only by profile. */
  all?: boolean;
  profile?: string;
  status?: BreakglassStatus;
  /** Events per page (the API's `limit`). */
  limit?: number;
}

/**
 * Lists one page of events (the first that holds any: with `--status` the API filters
 * after reading, so a page can be empty and still have a cursor). Text: a table, and on
 * stderr a note when more may exist; JSON: `{ events }`.
 *
 * @throws CommanderError a usage error for `--all` without `--profile`.
 * @throws ApiError `NOT_ADMIN` for `--all` by a non-admin; `INVALID_REQUEST`.
 */
export async function runBreakglassList(options: BreakglassListOptions, context: CommandContext): Promise<number> {
  if (options.all === true && options.profile === undefined) context.usageError("error: option '--all' needs '--profile <profile>': everyone's events are listed one profile at a time");
  const query: Record<string, string> = {
    ...(options.all === true ? { scope: 'all' } : {}),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.status === undefined ? {} : { status: options.status }),
    ...(options.limit === undefined ? {} : { limit: String(options.limit) }),
  };
  const api = await context.api();
  const events: BreakglassView[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listBreakglass(cursor === undefined ? query : { ...query, cursor });
    // The same cursor again would never end: the API is not answering what it was asked.
    if (page.cursor !== undefined && page.cursor === cursor) throw new ApiError('API_BAD_RESPONSE', 'the API answered a page of break-glass events with the cursor it was sent; stopped listing');
    events.push(...page.events);
    cursor = page.cursor;
  } while (cursor !== undefined && events.length === 0);

  if (context.format === 'json') writeJson(context.stdout, { events });
  else {
    const { eventTableLines } = await import('../breakglass/render.js');
    writeLines(context.stdout, eventTableLines(events));
  }
  if (cursor !== undefined) writeDiagnostic(context, `more events may exist: pass a larger --limit (up to ${SESSION_PAGE_MAX}) or a --status`);
  return EXIT_OK;
}

export function breakglassListCommand(): Command {
  return new Command('list')
    .description('list break-glass events, newest first: your own, or (admins, --all) everyone\'s for one profile')
    .option('--all', 'everyone\'s events for --profile (admins)')
    .addOption(new Option('--profile <profile>', 'only events for this profile').argParser(parseProfile))
    .addOption(new Option('--status <status>', 'only events in this status').choices(BREAKGLASS_STATUSES))
    .addOption(new Option('--limit <n>', `events per page, 1 to ${SESSION_PAGE_MAX} (default ${SESSION_PAGE_DEFAULT})`).argParser(parseLimit))
    .action((options: BreakglassListOptions, command: Command) => runCommand(command, (context) => runBreakglassList(options, context)));
}
