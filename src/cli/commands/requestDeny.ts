/**
 * `sentinel deny ID [--comment C]` — an approver of the request's profile denies it: one
 * denial ends the request, whatever approvals it had.
 */

import { Command } from 'commander';
import { parseRequestId } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';
import type { DecideOptions } from './requestApprove.js';

/**
 * Denies (`POST /v1/requests/{id}/deny`; JSON: the API's `{ request }`).
 *
 * @throws ApiError `NOT_OWNER` (your own request: cancel it; a profile you do not
 *   approve), `CONFLICT` (decided or expired already), `NOT_FOUND`.
 */
export async function runDeny(options: DecideOptions, context: CommandContext): Promise<number> {
  const answer = await (await context.api()).denyRequest(options.id, options.comment === undefined ? {} : { comment: options.comment });
  if (context.format === 'json') writeJson(context.stdout, answer);
  else {
    const { deniedLines } = await import('../requests/render.js');
    writeLines(context.stdout, deniedLines(answer.request));
  }
  return EXIT_OK;
}

/** The `deny` command. */
export function requestDenyCommand(): Command {
  return new Command('deny')
    .description('deny an access request for a profile you approve')
    .argument('<id>', 'the request id (32 hex digits, as sentinel requests --pending shows it)', parseRequestId)
    .option('--comment <text>', 'why, for the requester (up to 500 characters)')
    .action((id: string, options: Omit<DecideOptions, 'id' | 'globals'>, command: Command) => runCommand(command, (context) => runDeny({ ...options, id }, context)));
}
