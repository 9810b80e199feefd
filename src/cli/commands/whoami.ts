/**
 * `sentinel whoami` — the caller as the Sentinel API sees them.
 */

import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';

/** `whoami` takes no options of its own. */
export type WhoamiOptions = Record<string, never>;

/** Asks the API who the caller is and prints it: `user (arn) in account N`, then `admin` for admins. */
export async function runWhoami(_options: WhoamiOptions, context: CommandContext): Promise<number> {
  const me = await (await context.api()).whoami();
  if (context.format === 'json') writeJson(context.stdout, me);
  else writeLines(context.stdout, [`${me.user} (${me.arn}) in account ${me.accountId}`, ...(me.admin ? ['admin'] : [])]);
  return EXIT_OK;
}

/** The `whoami` command. */
export function whoamiCommand(): Command {
  return new Command('whoami')
    .description('show who the API takes you for (user, ARN, account) and whether you are an admin')
    .action((_options: unknown, command: Command) => runCommand(command, (context) => runWhoami({}, context)));
}
