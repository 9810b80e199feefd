/**
 * `sentinel sessions …` — the command group for sessions in the session table, and the
 * original Sentinel's names for three of them (`server-sessions`, `server-session`,
 * `server-revoke`), kept so its users' scripts keep working.
 */

import { Command } from 'commander';
import { sessionsEndCommand } from './sessionsEnd.js';
import { sessionsListCommand } from './sessionsList.js';
import { sessionsRevokeCommand } from './sessionsRevoke.js';
import { sessionsShowCommand } from './sessionsShow.js';

/** The `sessions` command and its subcommands. */
export function sessionsCommand(): Command {
  return new Command('sessions')
    .description('list, show, revoke and end sessions')
    .addCommand(sessionsListCommand())
    .addCommand(sessionsShowCommand())
    .addCommand(sessionsRevokeCommand())
    .addCommand(sessionsEndCommand());
}

/**
 * The original Sentinel's commands, the same as `sessions list`, `sessions show` and
 * `sessions revoke` with the same options, each by its name; hidden from the main help
 * (docs/cli.md lists them).
 */
export function sessionAliasCommands(): ReadonlyArray<readonly [name: string, create: () => Command]> {
  return [
    ['server-sessions', () => sessionsListCommand('server-sessions').description('the same as sessions list')],
    ['server-session', () => sessionsShowCommand('server-session').description('the same as sessions show')],
    ['server-revoke', () => sessionsRevokeCommand('server-revoke').description('the same as sessions revoke')],
  ];
}
