/**
 * `sentinel policy pull [--file F]` — the stored policy's text, as it was pushed.
 *
 * The policy names people and roles (DESIGN.md: not for everyone), so `--file` is
 * written for its owner only (0600), never through a symbolic link someone planted at
 * F, and atomically: the text goes to a new file next to F, which is then renamed over
 * it, so F is always either the old policy or the whole new one.
 */

import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
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

/** Owner read and write only: the policy is not for everyone on the machine. */
const FILE_MODE = 0o600;

function cannotWrite(file: string, reason: string, cause?: unknown): CliError {
  return new CliError('CANNOT_WRITE_FILE', `${file}: cannot write file: ${reason}`, cause === undefined ? undefined : { cause });
}

function writeError(file: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = (code === undefined ? undefined : WRITE_ERRORS[code]) ?? code ?? 'unknown error';
  return cannotWrite(file, reason, error);
}

/** Refuses what must not be replaced: a symbolic link (whatever it points at) or a non-file. */
async function checkTarget(file: string): Promise<void> {
  // Loaded on use, not at start-up: every command loads this module for its definition.
  const { lstat } = await import('node:fs/promises');
  let stats: Stats;
  try {
    stats = await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw writeError(file, error);
  }
  if (stats.isSymbolicLink()) {
    throw cannotWrite(file, 'it is a symbolic link, and the policy is never written through one; remove the link or choose another file');
  }
  if (stats.isDirectory()) throw cannotWrite(file, 'is a directory');
  if (!stats.isFile()) throw cannotWrite(file, 'not a regular file');
}

/**
 * Writes `text` to `file` (mode 0600) by way of a temporary file in the same directory,
 * created exclusively (O_EXCL: never an existing file or a link), then renamed over
 * `file`. A rename replaces a link planted after the check rather than following it.
 * @throws CliError `CANNOT_WRITE_FILE` as `FILE: cannot write file: reason`; nothing is left behind.
 */
async function writePolicyFile(file: string, text: string): Promise<void> {
  await checkTarget(file);
  const [{ open, rename, unlink }, { randomBytes }] = await Promise.all([import('node:fs/promises'), import('node:crypto')]);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(temporary, 'wx', FILE_MODE);
  } catch (error) {
    throw writeError(file, error);
  }
  try {
    try {
      await handle.writeFile(text);
      // The umask may only take bits away; make sure the mode is exactly 0600.
      await handle.chmod(FILE_MODE);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    // Best effort: the error that matters is the one reported below.
    await unlink(temporary).catch(() => undefined);
    throw writeError(file, error);
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
