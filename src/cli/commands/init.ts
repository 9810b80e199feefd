/**
 * `sentinel init sessions|approvals|breakglass|config|bootstrap` — provision Sentinel's
 * tables through the API (admins only): plan, confirm, create, wait until READY.
 * `sentinel init role` — print the IAM documents around a target role (offline).
 *
 * `--region` and `--aws-profile` are the program's global options (they sign the API
 * call, so they pick the deployment; for `init role`, `--region` is the deployment's
 * region); commander accepts them after the subcommand too.
 * The flows live in src/cli/init/ and load only when a command runs.
 */

import { Command, Option } from 'commander';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import type { BootstrapOptions } from '../init/bootstrap.js';
import type { InitContext } from '../init/context.js';
import type { InitRoleOptions, RoleDocumentName } from '../init/role.js';
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

/** Prints the IAM documents around a target role (src/cli/init/role.ts); returns the exit code. No API client, no AWS credentials. */
export async function runInitRole(options: InitRoleOptions, context: CommandContext): Promise<number> {
  const { initRole } = await import('../init/role.js');
  return initRole(options, context);
}

/** The values of `init role --document` (src/cli/init/role.ts prints each). */
const ROLE_DOCUMENTS: readonly RoleDocumentName[] = ['trust', 'revoker-trust', 'revoker-permissions', 'scp'];

interface RoleCommandOptions {
  roleArn: string;
  deploymentAccount?: string;
  stage?: string;
  document?: RoleDocumentName;
}

function roleCommand(): Command {
  return new Command('role')
    .description(
      "print the IAM documents around a role Sentinel vends: its trust policy, the sentinel-revoker role of another account, a service control policy; offline (the deployment's region is the global --region, else $AWS_REGION, else $AWS_DEFAULT_REGION)",
    )
    .requiredOption('--role-arn <arn>', 'the target role: arn:<partition>:iam::<account>:role/[<path>/]<name>')
    .option('--deployment-account <id>', "the account Sentinel is deployed in (default: the role's account)")
    .option('--stage <stage>', 'the stage Sentinel is deployed as (default: dev)')
    .addOption(new Option('--document <name>', "print only this document's JSON").choices(ROLE_DOCUMENTS))
    .action((options: RoleCommandOptions, command: Command) =>
      runCommand(command, (context) => {
        const { region } = command.optsWithGlobals<{ region?: string }>();
        return runInitRole(
          {
            roleArn: options.roleArn,
            ...(options.deploymentAccount === undefined ? {} : { deploymentAccount: options.deploymentAccount }),
            ...(options.stage === undefined ? {} : { stage: options.stage }),
            ...(region === undefined ? {} : { region }),
            ...(options.document === undefined ? {} : { document: options.document }),
          },
          context,
        );
      }),
    );
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
  const init = new Command('init').description(
    "provision Sentinel's DynamoDB tables through the API (admins): plan, create, wait until ready; print the IAM documents around a vended role",
  );
  // Help lists them in the order people need them: the tables one by one, the IAM
  // documents of a role, then bootstrap, which does all the tables at once.
  for (const name of ['sessions', 'approvals', 'breakglass', 'config']) {
    const target = INIT_TARGETS.find((candidate) => candidate.command === name);
    if (target !== undefined) init.addCommand(tableCommand(target));
  }
  return init.addCommand(roleCommand()).addCommand(bootstrapCommand());
}
