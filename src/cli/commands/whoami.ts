/**
 * `sentinel whoami` — the caller as the Sentinel API sees them.
 */

import { Command } from 'commander';
import { outputFormat, writeJson, writeOut } from '../output.js';

/** The `whoami` command. */
export function whoamiCommand(): Command {
  return new Command('whoami')
    .description('show who the API takes you for (user, ARN, account) and whether you are an admin')
    .action(async (_options: unknown, command: Command) => {
      const { apiFor } = await import('../api/fromCommand.js');
      const api = await apiFor(command);
      const me = await api.whoami();
      if (outputFormat(command) === 'json') {
        writeJson(me);
        return;
      }
      writeOut([`${me.user} (${me.arn}) in account ${me.accountId}`, ...(me.admin ? ['admin'] : [])]);
    });
}
