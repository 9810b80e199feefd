/**
 * `sentinel approve ID [--comment C]` — an approver of the request's profile approves
 * it. The approval that reaches the request's `min_approvals` approves it and opens
 * its window; the requester can then run `sentinel exec` for the profile.
 */

import { Command } from 'commander';
import { parseRequestId } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';
import type { GlobalWords } from '../requests/globals.js';
import { globalWords } from '../requests/globals.js';

/** The request id argument and the options of `sentinel approve` (and `sentinel deny`). */
export interface DecideOptions {
  id: string;
  /** Kept with the approval or the denial; 0 to 500 characters, no control characters. */
  comment?: string;
  globals?: GlobalWords;
}

/**
 * Approves (`POST /v1/requests/{id}/approve`) and says whether that completed the
 * request (JSON: the API's `{ request }`).
 *
 * @throws ApiError `NOT_OWNER` (your own request, or a profile you do not approve),
 *   `CONFLICT` (decided or expired already, or you approved it already: the message
 *   says which), `NOT_FOUND`.
 */
export async function runApprove(options: DecideOptions, context: CommandContext): Promise<number> {
  const answer = await (await context.api()).approveRequest(options.id, options.comment === undefined ? {} : { comment: options.comment });
  if (context.format === 'json') writeJson(context.stdout, answer);
  else {
    const { approvedLines } = await import('../requests/render.js');
    writeLines(context.stdout, approvedLines(answer.request, options.globals ?? {}));
  }
  return EXIT_OK;
}

/** The `approve` command. */
export function requestApproveCommand(): Command {
  return new Command('approve')
    .description('approve an access request for a profile you approve (never your own)')
    .argument('<id>', 'the request id (32 hex digits, as sentinel requests --pending shows it)', parseRequestId)
    .option('--comment <text>', 'a remark kept with your approval (up to 500 characters)')
    .action((id: string, options: Omit<DecideOptions, 'id' | 'globals'>, command: Command) =>
      runCommand(command, (context) => runApprove({ ...options, id, globals: globalWords(command) }, context)),
    );
}
