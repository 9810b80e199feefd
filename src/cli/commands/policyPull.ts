/**
 * `sentinel policy pull [--file F]` — the stored policy's text, as it was pushed.
 */

import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { CliError } from '../errors.js';
import { writeJson, writeLines } from '../output.js';

const WRITE_ERRORS: Record<string, string> = {
  ENOENT: 'no such directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EROFS: 'read-only file system',
};

/** The options of `sentinel policy pull`. */
export interface PolicyPullOptions {
  /** Write the policy here instead of stdout. */
  file?: string;
}

/** Writes `text` to `file`. @throws CliError `CANNOT_WRITE_FILE` as `FILE: cannot write file: reason`. */
async function writePolicyFile(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = (code === undefined ? undefined : WRITE_ERRORS[code]) ?? code ?? 'unknown error';
    throw new CliError('CANNOT_WRITE_FILE', `${file}: cannot write file: ${reason}`, { cause: error });
  }
}

/**
 * Fetches the stored policy (admins) and prints its text exactly as stored, or writes it
 * to the file; the version line goes to stderr. With `--output json`, the whole answer.
 */
export async function runPolicyPull(options: PolicyPullOptions, context: CommandContext): Promise<number> {
  const stored = await (await context.api()).getPolicy();
  if (options.file !== undefined) await writePolicyFile(options.file, stored.text);
  if (context.format === 'json') {
    writeJson(context.stdout, stored);
    return EXIT_OK;
  }
  // The text goes out exactly as stored, so `pull > f` then `push f` is a no-op.
  if (options.file === undefined) context.stdout.write(stored.text);
  writeLines(context.stderr, [`policy version ${stored.version} (updated ${stored.updatedAt} by ${stored.updatedBy})`]);
  return EXIT_OK;
}

/** The `pull` subcommand of `sentinel policy`. */
export function policyPullCommand(): Command {
  return new Command('pull')
    .description('print the stored policy (admins), or write it to a file; the version goes to stderr')
    .option('--file <file>', 'write the policy to this file instead of stdout')
    .action((options: PolicyPullOptions, command: Command) => runCommand(command, (context) => runPolicyPull(options, context)));
}
