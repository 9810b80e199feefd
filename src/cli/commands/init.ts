/**
 * `sentinel init sessions|approvals|breakglass|config|bootstrap` — provision Sentinel's
 * tables through the API (admins only): plan, confirm, create, wait until READY.
 *
 * `--region` and `--aws-profile` are the program's global options (they sign the API
 * call, so they pick the deployment); commander accepts them after the subcommand too.
 * The flows live in src/cli/init/ and load only when a command runs.
 */

import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import type { BootstrapOptions } from '../init/bootstrap.js';
import type { InitContext } from '../init/context.js';
import type { InitTableOptions } from '../init/initTable.js';
import type { InitTarget } from '../init/targets.js';
import { INIT_TARGETS } from '../init/targets.js';

interface TableOptions {
  table?: string;
  plan?: boolean;
  yes?: boolean;
  generateIam?: boolean;
}

/** The options every `init` subcommand shares. */
function withCommonOptions(command: Command): Command {
  return command
    .option('--plan', 'only show what would be created, or how the live table differs; change nothing')
    .option('-y, --yes', 'create without asking (needed when stdin is not a terminal)')
    .option('--generate-iam', 'print only the IAM policy document the table needs (JSON), and do nothing else');
}

/** The init flows' context: the command's, with the API client built and real waits. */
async function flowContext(context: CommandContext): Promise<InitContext> {
  const { initContext } = await import('../init/context.js');
  return initContext(context, await context.api());
}

/** Plans, confirms and creates one table (src/cli/init/initTable.ts); returns the exit code. */
export async function runInitTable(options: InitTableOptions, context: CommandContext): Promise<number> {
  const { initTable } = await import('../init/initTable.js');
  return initTable(options, await flowContext(context));
}

/** Creates all four tables and, when none is stored, a starter policy (src/cli/init/bootstrap.ts); returns the exit code. */
export async function runInitBootstrap(options: BootstrapOptions, context: CommandContext): Promise<number> {
  const { bootstrap } = await import('../init/bootstrap.js');
  return bootstrap(options, await flowContext(context));
}

function tableCommand(target: InitTarget): Command {
  return withCommonOptions(
    new Command(target.command)
      .description(`create the table of ${target.holds} (default ${target.defaultTable}) through the API (admins)`)
      .option('--table <name>', `table name; must carry the deployment's prefix (default ${target.defaultTable})`),
  ).action((options: TableOptions, command: Command) =>
    runCommand(command, (context) =>
      runInitTable(
        {
          kind: target.kind,
          ...(options.table === undefined ? {} : { table: options.table }),
          plan: options.plan === true,
          yes: options.yes === true,
          generateIam: options.generateIam === true,
        },
        context,
      ),
    ),
  );
}

function bootstrapCommand(): Command {
  return withCommonOptions(
    new Command('bootstrap').description(
      'create all four tables (config, sessions, approvals, breakglass) under their default names and, when no policy is stored, push a starter policy naming you as admin (admins)',
    ),
  ).action((options: TableOptions, command: Command) =>
    runCommand(command, (context) => runInitBootstrap({ plan: options.plan === true, yes: options.yes === true, generateIam: options.generateIam === true }, context)),
  );
}

/** The `init` command and its subcommands. */
export function initCommand(): Command {
  const init = new Command('init').description("provision Sentinel's DynamoDB tables through the API (admins): plan, create, wait until ready");
  // Help lists them in the order people need them: sessions first, bootstrap last.
  for (const name of ['sessions', 'approvals', 'breakglass', 'config']) {
    const target = INIT_TARGETS.find((candidate) => candidate.command === name);
    if (target !== undefined) init.addCommand(tableCommand(target));
  }
  return init.addCommand(bootstrapCommand());
}
