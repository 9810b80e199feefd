/**
 * `sentinel policy push FILE [--yes]` — stores FILE as the next policy version, after
 * checking it locally and showing what changes.
 *
 * The push names the version it was compared with (`expectedVersion`), so a policy
 * someone else stored in the meantime is never overwritten unseen: the API answers
 * `CONFLICT` and the user diffs again.
 */

import { Command } from 'commander';
import { ApiError } from '../api/types.js';
import type { SentinelApi } from '../api/types.js';
import { outputFormat, writeJson, writeOut } from '../output.js';
import { canPrompt, confirm } from '../prompt.js';
import { fetchStoredPolicy, policyPatch, readLocalFile } from './policyDiff.js';
import { CliError } from '../errors.js';

/** The API's `CONFLICT`, reworded with the version now stored (when it can still be read). */
async function conflict(api: SentinelApi, file: string, error: ApiError): Promise<ApiError> {
  let now = 'a newer version';
  try {
    now = `now version ${(await fetchStoredPolicy(api)).version}`;
  } catch {
    // The conflict is what matters; the current number is only a courtesy.
  }
  return new ApiError('CONFLICT', `the stored policy changed while you were pushing (${now}): run sentinel policy diff ${file} again`, {
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    cause: error,
  });
}

/** The `push` subcommand of `sentinel policy`. */
export function policyPushCommand(): Command {
  return new Command('push')
    .description('validate FILE, show the diff against the stored policy, and store FILE as the next version (admins)')
    .argument('<file>', 'policy file (YAML)')
    .option('-y, --yes', 'push without asking (needed when stdin is not a terminal)')
    .action(async (file: string, options: { yes?: boolean }, command: Command) => {
      const [{ apiFor }, { formatIssue, loadPolicy }] = await Promise.all([import('../api/fromCommand.js'), import('../../policy/parse.js')]);
      const json = outputFormat(command) === 'json';

      // Everything that can be checked here is, before the API is asked anything.
      const text = await readLocalFile(file);
      const errors = loadPolicy(text, file).issues.filter((issue) => issue.severity === 'error');
      if (errors.length > 0) throw new CliError('INVALID_POLICY', [`${file} is invalid, nothing pushed:`, ...errors.map(formatIssue)].join('\n'));

      const api = await apiFor(command);
      const stored = await fetchStoredPolicy(api);
      const patch = await policyPatch(stored, file, text);
      if (patch === undefined) {
        if (json) writeJson({ version: stored.version, changed: false });
        else writeOut([`no changes: ${file} matches policy version ${stored.version}; nothing pushed`]);
        return;
      }
      // In JSON mode stdout holds only the result; the diff is still shown to whoever confirms.
      if (json) process.stderr.write(patch);
      else process.stdout.write(patch);

      const next = stored.version + 1;
      if (options.yes !== true) {
        if (!canPrompt()) {
          throw new CliError('CONFIRMATION_REQUIRED', `nothing pushed: stdin is not a terminal, so no one can confirm; check the diff and run again with --yes to push it as version ${next}`);
        }
        if (!(await confirm(`Push this policy as version ${next}? [y/N] `))) throw new CliError('NOT_CONFIRMED', 'nothing pushed');
      }

      let pushed;
      try {
        pushed = await api.putPolicy({ text, expectedVersion: stored.version });
      } catch (error) {
        if (error instanceof ApiError && error.code === 'CONFLICT') throw await conflict(api, file, error);
        throw error;
      }
      if (json) writeJson(pushed);
      else writeOut([`pushed ${file} as policy version ${pushed.version}`]);
    });
}
