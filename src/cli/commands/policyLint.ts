/**
 * `sentinel policy lint FILE… [--strict]` — validation, then advice on valid policies.
 */

import { Command } from 'commander';
import type { PolicyIssue } from '../../policy/types.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_ERROR, EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';

/** The file arguments and options of `sentinel policy lint`. */
export interface PolicyLintOptions {
  files: readonly string[];
  strict?: boolean;
  defaultSessionTable?: string;
}

/**
 * Validates each file, then lints the valid ones. Exit 1 when a file is invalid, or
 * with `strict` when there are warnings.
 */
export async function runPolicyLint(options: PolicyLintOptions, context: CommandContext): Promise<number> {
  const [{ readPolicyFile, isValid, errorLines, warningLines, jsonErrors, jsonProblem }, { lintPolicy }] = await Promise.all([
    import('../policyFile.js'),
    import('../../policy/lint.js'),
  ]);
  const defaultSessionTable = options.defaultSessionTable === '' ? undefined : options.defaultSessionTable;

  const reports = await Promise.all(
    options.files.map(async (file) => {
      const loaded = await readPolicyFile(file);
      if (!isValid(loaded)) {
        return { file, errorText: errorLines(loaded), errorJson: jsonErrors(loaded), warnings: [] as PolicyIssue[] };
      }
      // Validation already passed: everything lint reports is a warning.
      return { file, errorText: [], errorJson: [], warnings: lintPolicy(loaded.policy, { file, defaultSessionTable }) };
    }),
  );
  const hasErrors = reports.some((report) => report.errorJson.length > 0);
  const hasWarnings = reports.some((report) => report.warnings.length > 0);

  if (context.format === 'json') {
    writeJson(context.stdout, {
      files: reports.map((report) => ({
        file: report.file,
        valid: report.errorJson.length === 0,
        errors: report.errorJson,
        warnings: report.warnings.map(jsonProblem),
      })),
    });
  } else {
    // Errors first, on stderr as `validate` prints them; warnings are lint's findings, on stdout.
    writeLines(context.stderr, reports.flatMap((report) => report.errorText));
    writeLines(
      context.stdout,
      reports.flatMap((report) => {
        if (report.errorJson.length > 0) return [];
        if (report.warnings.length === 0) return [`${report.file}: valid, no warnings`];
        return warningLines(report.warnings);
      }),
    );
  }
  return hasErrors || (options.strict === true && hasWarnings) ? EXIT_ERROR : EXIT_OK;
}

/** The `lint` subcommand of `sentinel policy`. */
export function policyLintCommand(): Command {
  return new Command('lint')
    .description('validate policy files, then warn about rules that are likely mistakes')
    .argument('<file...>', 'policy files (YAML)')
    .option('--strict', 'exit 1 when there are warnings')
    .option(
      '--default-session-table <table>',
      "the deployment's default session table (SENTINEL_DEFAULT_SESSION_TABLE), for advice that depends on it",
    )
    .action((files: string[], options: Omit<PolicyLintOptions, 'files'>, command: Command) =>
      runCommand(command, (context) => runPolicyLint({ ...options, files }, context)),
    );
}
