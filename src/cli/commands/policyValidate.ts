/**
 * `sentinel policy validate FILE…` — checks policy documents against the schema.
 */

import { Command } from 'commander';
import { EXIT_ERROR, EXIT_OK } from '../exitCodes.js';
import { outputFormat, writeErr, writeJson, writeOut } from '../output.js';

/** The `validate` subcommand of `sentinel policy`. */
export function policyValidateCommand(): Command {
  return new Command('validate')
    .description('check policy files; report every error as file:line:col: message')
    .argument('<file...>', 'policy files (YAML)')
    .action(async (files: string[], _options: unknown, command: Command) => {
      const { readPolicyFile, isValid, errorLines, jsonErrors } = await import('../policyFile.js');
      const results = await Promise.all(files.map((file) => readPolicyFile(file)));
      const allValid = results.every((result) => isValid(result));
      if (outputFormat(command) === 'json') {
        writeJson({
          files: results.map((result) => ({ file: result.file, valid: isValid(result), errors: jsonErrors(result) })),
        });
      } else {
        writeOut(results.filter((result) => isValid(result)).map((result) => `${result.file}: valid`));
        writeErr(results.flatMap((result) => errorLines(result)));
      }
      process.exitCode = allValid ? EXIT_OK : EXIT_ERROR;
    });
}
