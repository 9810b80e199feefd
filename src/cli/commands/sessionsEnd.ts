/**
 * `sentinel sessions end ID` — the owner ends their own session, as `exec --server`
 * does when its command exits: no more refreshes or re-checks under it.
 */

import { Command } from 'commander';
import { parseSessionId, sessionTableOption } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';
import { ApiError, SESSION_OVER } from '../errors.js';

/** The session id argument and the options of `sentinel sessions end`. */
export interface SessionsEndOptions {
  id: string;
  sessionTable?: string;
}

/**
 * Ends the session (`POST /v1/sessions/{id}/end`) and says when (JSON: the API's answer).
 * This machine's cached `sentinel credentials` of it are dropped, also when the API
 * says it is over already.
 *
 * @throws ApiError `NOT_OWNER` for someone else's session, `SESSION_ENDED`,
 *   `SESSION_REVOKED`, `SESSION_EXPIRED` for one that is over already, `NOT_FOUND`.
 */
export async function runSessionsEnd(options: SessionsEndOptions, context: CommandContext): Promise<number> {
  const body = options.sessionTable === undefined ? {} : { sessionTable: options.sessionTable };
  const api = await context.api();
  const { forgetCachedCredentials } = await import('../sessions/cachedCredentials.js');
  let answer: Awaited<ReturnType<typeof api.endSession>>;
  try {
    answer = await api.endSession(options.id, body);
  } catch (error) {
    // Over already (ended, revoked, expired): nothing of it should be handed out either.
    if (error instanceof ApiError && SESSION_OVER.has(error.code)) await forgetCachedCredentials(options.id, context);
    throw error;
  }
  const forgotten = await forgetCachedCredentials(options.id, context);
  if (context.format === 'json') writeJson(context.stdout, answer);
  else writeLines(context.stdout, [`ended session ${answer.id} at ${answer.endedAt}`, ...forgotten]);
  return EXIT_OK;
}

/** The `end` subcommand of `sentinel sessions`. */
export function sessionsEndCommand(): Command {
  return new Command('end')
    .description('end one of your own sessions (exec --server does this when its command exits)')
    .argument('<id>', 'the session id (32 hex digits)', parseSessionId)
    .addOption(sessionTableOption())
    .action((id: string, options: Omit<SessionsEndOptions, 'id'>, command: Command) => runCommand(command, (context) => runSessionsEnd({ ...options, id }, context)));
}
