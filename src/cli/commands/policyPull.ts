/**
 * `sentinel policy pull [--file F]` — the stored policy's text, as it was pushed.
 */

import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { outputFormat, writeErr, writeJson } from '../output.js';
import { CliError } from '../errors.js';

const WRITE_ERRORS: Record<string, string> = {
  ENOENT: 'no such directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EROFS: 'read-only file system',
};

/** The `pull` subcommand of `sentinel policy`. */
export function policyPullCommand(): Command {
  return new Command('pull')
    .description('print the stored policy (admins), or write it to a file; the version goes to stderr')
    .option('--file <file>', 'write the policy to this file instead of stdout')
    .action(async (options: { file?: string }, command: Command) => {
      const { apiFor } = await import('../api/fromCommand.js');
      const api = await apiFor(command);
      const stored = await api.getPolicy();
      if (options.file !== undefined) {
        try {
          await writeFile(options.file, stored.text);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          const reason = (code === undefined ? undefined : WRITE_ERRORS[code]) ?? code ?? 'unknown error';
          throw new CliError('CANNOT_WRITE_FILE', `${options.file}: cannot write file: ${reason}`, { cause: error });
        }
      }
      if (outputFormat(command) === 'json') {
        writeJson(stored);
        return;
      }
      // The text goes out exactly as stored, so `pull > f` then `push f` is a no-op.
      if (options.file === undefined) process.stdout.write(stored.text);
      writeErr([`policy version ${stored.version} (updated ${stored.updatedAt} by ${stored.updatedBy})`]);
    });
}
