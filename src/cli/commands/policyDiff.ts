/**
 * `sentinel policy diff FILE` — what pushing FILE would change in the stored policy.
 *
 * Also home of what `policy push` shares with it: reading the file, fetching the stored
 * version (none yet counts as empty, version 0) and the unified diff between them.
 */

import { Command } from 'commander';
import type { SentinelApi } from '../api/types.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT_ERROR, EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';
import { printableLines } from '../sanitize.js';
import { describeReadError } from '../readError.js';
import { CodedError } from '../../errors.js';

/** The stored policy; `version` 0 and empty text when none has been stored yet. */
export interface StoredPolicy {
  text: string;
  version: number;
}

/**
 * A local file's text.
 *
 * @throws CliError `CANNOT_READ_FILE` as `FILE: cannot read file: reason` (the words `policy validate` uses).
 */
export async function readLocalFile(file: string): Promise<string> {
  // Loaded on use, not at start-up: every command loads this module for its definition.
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError('CANNOT_READ_FILE', `${file}: cannot read file: ${describeReadError(error)}`, { cause: error });
  }
}

/** The stored policy, or version 0 with empty text when none is stored (the API's `NOT_FOUND`). */
export async function fetchStoredPolicy(api: SentinelApi): Promise<StoredPolicy> {
  try {
    const { text, version } = await api.getPolicy();
    return { text, version };
  } catch (error) {
    if (error instanceof CodedError && error.code === 'NOT_FOUND') return { text: '', version: 0 };
    throw error;
  }
}

/** A unified diff from the stored policy to the file's text; `undefined` when they are identical. */
export async function policyPatch(stored: StoredPolicy, file: string, text: string): Promise<string | undefined> {
  if (stored.text === text) return undefined;
  // Loaded here: jsdiff is only needed once there is something to compare. Three lines of
  // context, as git and diff -u show.
  const { createTwoFilesPatch, FILE_HEADERS_ONLY } = await import('diff');
  const from = stored.version === 0 ? 'stored policy (none yet)' : `stored policy (version ${stored.version})`;
  return createTwoFilesPatch(from, file, stored.text, text, undefined, undefined, { headerOptions: FILE_HEADERS_ONLY, context: 3 });
}

/** The file argument and options of `sentinel policy diff`. */
export interface PolicyDiffOptions {
  file: string;
  /** Exit 1 when there are differences (`--exit-code`). */
  exitCode?: boolean;
}

/** Prints the unified diff from the stored policy to the file (or says there is none). */
export async function runPolicyDiff(options: PolicyDiffOptions, context: CommandContext): Promise<number> {
  const { file } = options;
  const text = await readLocalFile(file);
  const stored = await fetchStoredPolicy(await context.api());
  const patch = await policyPatch(stored, file, text);
  if (context.format === 'json') {
    writeJson(context.stdout, { file, storedVersion: stored.version, changed: patch !== undefined, patch: patch ?? '' });
  } else if (patch === undefined) {
    writeLines(context.stdout, [`no changes: ${file} matches policy version ${stored.version}`]);
  } else {
    context.stdout.write(printableLines(patch));
  }
  return options.exitCode === true && patch !== undefined ? EXIT_ERROR : EXIT_OK;
}

/** The `diff` subcommand of `sentinel policy`. */
export function policyDiffCommand(): Command {
  return new Command('diff')
    .description('show a unified diff from the stored policy to FILE (what policy push would change)')
    .argument('<file>', 'policy file (YAML)')
    .option('--exit-code', 'exit 1 when there are differences, like git diff --exit-code (default: exit 0 either way)')
    .action((file: string, options: { exitCode?: boolean }, command: Command) =>
      runCommand(command, (context) => runPolicyDiff({ ...options, file }, context)),
    );
}
