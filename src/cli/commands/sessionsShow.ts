/**
 * `sentinel sessions show ID` (and its alias `server-session ID`) — one session, every
 * field: yours, or anyone's for admins.
 */

import { Command } from 'commander';
import { parseSessionId, sessionTableOption } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';

/** The session id argument and the options of `sentinel sessions show`. */
export interface SessionsShowOptions {
  id: string;
  sessionTable?: string;
}

/**
 * Prints the session, one field per line (JSON: the API's `{ session }`).
 *
 * @throws ApiError `NOT_FOUND` for a session that does not exist, or that is someone
 *   else's and the caller is not an admin (the API does not tell the two apart).
 */
export async function runSessionsShow(options: SessionsShowOptions, context: CommandContext): Promise<number> {
  const query: Record<string, string> = options.sessionTable === undefined ? {} : { sessionTable: options.sessionTable };
  const answer = await (await context.api()).showSession(options.id, query);
  if (context.format === 'json') writeJson(context.stdout, answer);
  else {
    const { sessionFieldLines } = await import('../sessions/render.js');
    writeLines(context.stdout, sessionFieldLines(answer.session));
  }
  return EXIT_OK;
}

/** The show command under `name`: `show` in `sentinel sessions`, `server-session` at the top. */
export function sessionsShowCommand(name = 'show'): Command {
  return new Command(name)
    .description('show one session: yours, or (admins) anyone\'s')
    .argument('<id>', 'the session id (32 hex digits, as sessions list shows it)', parseSessionId)
    .addOption(sessionTableOption())
    .action((id: string, options: Omit<SessionsShowOptions, 'id'>, command: Command) => runCommand(command, (context) => runSessionsShow({ ...options, id }, context)));
}
