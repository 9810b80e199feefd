/**
 * `sentinel breakglass close ID --reason "…"` — ends a break-glass event before it
 * expires: its invoker, or an admin. No new credentials are issued under it afterwards.
 */

import { Command, InvalidArgumentError } from 'commander';
import { SESSION_ID } from '../../api/constants.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';

/** The event id argument and the options of `sentinel breakglass close`. */
export interface BreakglassCloseOptions {
  id: string;
  /** Kept with the event; 1–500 characters, no control characters. */
  reason: string;
}

/** An event id argument: 32 lowercase hex digits, as `sentinel breakglass` and `… list` show them. */
function parseEventId(value: string): string {
  if (!SESSION_ID.test(value)) throw new InvalidArgumentError('Expected a break-glass event id: 32 lowercase hex digits, as sentinel breakglass list shows them.');
  return value;
}

/**
 * Closes the event and says what was closed (JSON: the API's `{ event }`).
 *
 * @throws CommanderError a usage error for a reason the API would refuse.
 * @throws ApiError `NOT_FOUND`, `NOT_OWNER` (someone else's, and you are not an admin),
 *   `CONFLICT` (already closed, or expired).
 */
export async function runBreakglassClose(options: BreakglassCloseOptions, context: CommandContext): Promise<number> {
  const { closeBreakglassRequestSchema } = await import('../../api/schemas.js');
  const checked = closeBreakglassRequestSchema.safeParse({ reason: options.reason });
  if (!checked.success) context.usageError(`error: option '--reason <text>' is invalid: the reason ${checked.error.issues[0]?.message ?? 'is not accepted'}`);
  const answer = await (await context.api()).closeBreakglass(options.id, { reason: options.reason });
  if (context.format === 'json') writeJson(context.stdout, answer);
  else {
    const { closedLines } = await import('../breakglass/render.js');
    writeLines(context.stdout, closedLines(answer.event));
  }
  return EXIT_OK;
}

export function breakglassCloseCommand(): Command {
  return new Command('close')
    .description('close a break-glass event before it expires (its invoker, or an admin)')
    .argument('<id>', 'the event id (32 hex digits)', parseEventId)
    .requiredOption('--reason <text>', 'why it is closed (1 to 500 characters; kept with the event)')
    .action((id: string, options: Omit<BreakglassCloseOptions, 'id'>, command: Command) => runCommand(command, (context) => runBreakglassClose({ ...options, id }, context)));
}
