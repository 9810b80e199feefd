/**
 * `sentinel policy …` — the command group for policy documents, local and stored.
 */

import { Command } from 'commander';
import { policyDiffCommand } from './policyDiff.js';
import { policyEvalCommand } from './policyEval.js';
import { policyLintCommand } from './policyLint.js';
import { policyPullCommand } from './policyPull.js';
import { policyPushCommand } from './policyPush.js';
import { policyValidateCommand } from './policyValidate.js';

/** The `policy` command and its subcommands. */
export function policyCommand(): Command {
  return new Command('policy')
    .description('validate, lint and evaluate policy documents; pull, diff and push the stored policy')
    .addCommand(policyValidateCommand())
    .addCommand(policyLintCommand())
    .addCommand(policyEvalCommand())
    .addCommand(policyPullCommand())
    .addCommand(policyDiffCommand())
    .addCommand(policyPushCommand());
}
