/**
 * `sentinel policy push FILE [--yes]` — stores FILE as the next policy version, after
 * checking it locally and showing what changes.
 *
 * The push names the version it was compared with (`expectedVersion`), so a policy
 * someone else stored in the meantime is never overwritten unseen: the API answers
 * `CONFLICT` and the user diffs again.
 */

import { Command } from 'commander';
import type { SentinelApi } from '../api/types.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { ApiError, CliError } from '../errors.js';
import { EXIT_OK } from '../exitCodes.js';
import { infoStream, writeJson, writeLines } from '../output.js';
import { canPrompt, confirm } from '../prompt.js';
import { fetchStoredPolicy, policyPatch, readLocalFile } from './policyDiff.js';

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

/** The file argument and options of `sentinel policy push`. */
export interface PolicyPushOptions {
  file: string;
  /** Push without asking (`--yes`). */
  yes?: boolean;
}

/**
 * Asks whoever runs the push to confirm it.
 *
 * @throws CliError `CONFIRMATION_REQUIRED` when stdin is not a terminal (with the hint
 *   to use `--yes`), `NOT_CONFIRMED` when the answer is not yes.
 */
async function confirmPush(context: CommandContext, next: number): Promise<void> {
  if (!canPrompt(context.stdin)) {
    throw new CliError('CONFIRMATION_REQUIRED', `nothing pushed: stdin is not a terminal, so no one can confirm; check the diff and run again with --yes to push it as version ${next}`);
  }
  if (!(await confirm(`Push this policy as version ${next}? [y/N] `, { input: context.stdin, output: context.stderr }))) {
    throw new CliError('NOT_CONFIRMED', 'nothing pushed');
  }
}

/**
 * Checks the file locally, shows the diff against the stored policy, asks (unless
 * `yes`), and stores the file as the next version.
 *
 * @throws CliError `CANNOT_READ_FILE`, `INVALID_POLICY` before the API is asked
 *   anything; `CONFIRMATION_REQUIRED`, `NOT_CONFIRMED`; ApiError `CONFLICT` when
 *   someone else pushed in the meantime.
 */
export async function runPolicyPush(options: PolicyPushOptions, context: CommandContext): Promise<number> {
  const { file } = options;
  const { formatIssue, loadPolicy } = await import('../../policy/parse.js');
  const json = context.format === 'json';

  // Everything that can be checked here is, before the API is asked anything.
  const text = await readLocalFile(file);
  const errors = loadPolicy(text, file).issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) throw new CliError('INVALID_POLICY', [`${file} is invalid, nothing pushed:`, ...errors.map(formatIssue)].join('\n'));

  const api = await context.api();
  const stored = await fetchStoredPolicy(api);
  const patch = await policyPatch(stored, file, text);
  if (patch === undefined) {
    if (json) writeJson(context.stdout, { version: stored.version, changed: false });
    else writeLines(context.stdout, [`no changes: ${file} matches policy version ${stored.version}; nothing pushed`]);
    return EXIT_OK;
  }
  // In JSON mode stdout holds only the result; the diff is still shown to whoever confirms.
  infoStream(context).write(patch);
  if (options.yes !== true) await confirmPush(context, stored.version + 1);

  let pushed;
  try {
    pushed = await api.putPolicy({ text, expectedVersion: stored.version });
  } catch (error) {
    if (error instanceof ApiError && error.code === 'CONFLICT') throw await conflict(api, file, error);
    throw error;
  }
  if (json) writeJson(context.stdout, pushed);
  else writeLines(context.stdout, [`pushed ${file} as policy version ${pushed.version}`]);
  return EXIT_OK;
}

/** The `push` subcommand of `sentinel policy`. */
export function policyPushCommand(): Command {
  return new Command('push')
    .description('validate FILE, show the diff against the stored policy, and store FILE as the next version (admins)')
    .argument('<file>', 'policy file (YAML)')
    .option('-y, --yes', 'push without asking (needed when stdin is not a terminal)')
    .action((file: string, options: { yes?: boolean }, command: Command) => runCommand(command, (context) => runPolicyPush({ ...options, file }, context)));
}
