/**
 * `sentinel cancel ID` — the requester withdraws their own pending request.
 */

import { Command } from 'commander';
import { parseRequestId } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';

/** The request id argument of `sentinel cancel`. */
export interface CancelOptions {
  id: string;
}

/**
 * Cancels (`POST /v1/requests/{id}/cancel`; JSON: the API's `{ request }`).
 *
 * @throws ApiError `NOT_OWNER` (someone else's request), `CONFLICT` (no longer pending), `NOT_FOUND`.
 */
export async function runCancel(options: CancelOptions, context: CommandContext): Promise<number> {
  const answer = await (await context.api()).cancelRequest(options.id);
  if (context.format === 'json') writeJson(context.stdout, answer);
  else {
    const { cancelledLines } = await import('../requests/render.js');
    writeLines(context.stdout, cancelledLines(answer.request));
  }
  return EXIT_OK;
}

/** The `cancel` command. */
export function requestCancelCommand(): Command {
  return new Command('cancel')
    .description('cancel one of your own pending access requests')
    .argument('<id>', 'the request id (32 hex digits, as sentinel requests shows it)', parseRequestId)
    .action((id: string, _options: unknown, command: Command) => runCommand(command, (context) => runCancel({ id }, context)));
}
