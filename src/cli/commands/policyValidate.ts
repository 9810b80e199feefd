/**
 * `sentinel policy validate FILE…` — checks policy documents against the schema.
 */

import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_ERROR, EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';

/** The file arguments of `sentinel policy validate`. */
export interface PolicyValidateOptions {
  files: readonly string[];
}

/** Validates each file: `FILE: valid` on stdout, every error as `file:line:col: message` on stderr; exit 1 when any is invalid. */
export async function runPolicyValidate(options: PolicyValidateOptions, context: CommandContext): Promise<number> {
  const { readPolicyFile, isValid, errorLines, jsonErrors } = await import('../policyFile.js');
  const results = await Promise.all(options.files.map((file) => readPolicyFile(file)));
  if (context.format === 'json') {
    writeJson(context.stdout, {
      files: results.map((result) => ({ file: result.file, valid: isValid(result), errors: jsonErrors(result) })),
    });
  } else {
    writeLines(context.stdout, results.filter((result) => isValid(result)).map((result) => `${result.file}: valid`));
    writeLines(context.stderr, results.flatMap((result) => errorLines(result)));
  }
  return results.every((result) => isValid(result)) ? EXIT_OK : EXIT_ERROR;
}

/** The `validate` subcommand of `sentinel policy`. */
export function policyValidateCommand(): Command {
  return new Command('validate')
    .description('check policy files; report every error as file:line:col: message')
    .argument('<file...>', 'policy files (YAML)')
    .action((files: string[], _options: unknown, command: Command) => runCommand(command, (context) => runPolicyValidate({ files }, context)));
}
