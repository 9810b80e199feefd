/**
 * `sentinel policy …` — the command group for policy documents.
 */

import { Command } from 'commander';
import { policyEvalCommand } from './policyEval.js';
import { policyLintCommand } from './policyLint.js';
import { policyValidateCommand } from './policyValidate.js';

/** The `policy` command and its subcommands. */
export function policyCommand(): Command {
  return new Command('policy')
    .description('validate, lint and evaluate policy documents')
    .addCommand(policyValidateCommand())
    .addCommand(policyLintCommand())
    .addCommand(policyEvalCommand());
}
