/**
 * `sentinel sessions revoke ID --reason R` and `sentinel sessions revoke --user U |
 * --profile P --reason R` (and the alias `server-revoke`) — admins stop a session, or
 * every active session of one user or one profile (offboarding, an incident).
 *
 * A revocation acts on someone else's work, so it is confirmed on a terminal; where no
 * one can answer (CI, a pipe, stderr redirected) it needs `--yes` and says so.
 */

import { Command, Option } from 'commander';
import type { RevokeSessionResponse, RevokeSessionsResponse } from '../../api/contract.js';
import { parseProfile, parseSessionId, parseUser, sessionTableOption } from '../arguments.js';
import type { SentinelApi } from '../api/types.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { ApiError, CliError } from '../errors.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';
import { canAsk, confirm } from '../prompt.js';
import type { RevocationTarget } from '../sessions/render.js';

/** The session id argument (or `--user` / `--profile`) and the options of `sentinel sessions revoke`. */
export interface SessionsRevokeOptions {
  id?: string;
  user?: string;
  profile?: string;
  /** Shown to the session's owner when they are refused; 1–500 characters, no control characters. */
  reason: string;
  /** Revoke without asking (`--yes`). */
  yes?: boolean;
  sessionTable?: string;
}

/** What one run revokes: one session, or every active session of a user or a profile. */
type Revocation = { id: string } | RevocationTarget;

/** Exactly one of ID, `--user`, `--profile`; anything else is a usage error. */
function revocationOf(options: SessionsRevokeOptions, context: CommandContext): Revocation {
  const given = [options.id, options.user, options.profile].filter((value) => value !== undefined).length;
  if (given !== 1) context.usageError('error: name exactly one of a session ID, --user <user> or --profile <profile>');
  if (options.id !== undefined) return { id: options.id };
  return options.user !== undefined ? { user: options.user } : { profile: options.profile as string };
}

/** The reason, checked with the API's own schema (src/api/schemas.ts), so it is refused here exactly when the API would. */
async function checkReason(reason: string, context: CommandContext): Promise<void> {
  const { revokeSessionRequestSchema } = await import('../../api/schemas.js');
  const checked = revokeSessionRequestSchema.safeParse({ reason });
  if (!checked.success) context.usageError(`error: option '--reason <text>' is invalid: the reason ${checked.error.issues[0]?.message ?? 'is not accepted'}`);
}

/**
 * Asks whoever runs the command, unless `--yes`.
 *
 * @throws CommanderError (a usage error, exit 2) when no one can answer: stdin or stderr
 *   is not a terminal; CliError `NOT_CONFIRMED` when the answer is not yes.
 */
async function confirmRevocation(revocation: Revocation, options: SessionsRevokeOptions, context: CommandContext): Promise<void> {
  if (options.yes === true) return;
  if (!canAsk({ input: context.stdin, output: context.stderr })) {
    context.usageError('error: not on a terminal, so no one can confirm the revocation: pass --yes to revoke without asking');
  }
  const { targetName } = await import('../sessions/render.js');
  const what = 'id' in revocation ? `session ${revocation.id}` : `every active session of ${targetName(revocation)}`;
  if (!(await confirm(`Revoke ${what}? [y/N] `, { input: context.stdin, output: context.stderr }))) throw new CliError('NOT_CONFIRMED', 'nothing revoked');
}

/** One session. The API answers a second revocation with the first, and says so (`alreadyRevoked`). */
async function revokeOne(api: SentinelApi, id: string, options: SessionsRevokeOptions, context: CommandContext): Promise<number> {
  const answer: RevokeSessionResponse = await api.revokeSession(id, { reason: options.reason, ...(options.sessionTable === undefined ? {} : { sessionTable: options.sessionTable }) });
  const [{ revocationLines }, { forgetCachedCredentials }] = await Promise.all([import('../sessions/render.js'), import('../sessions/cachedCredentials.js')]);
  const forgotten = await forgetCachedCredentials(id, context);
  if (context.format === 'json') writeJson(context.stdout, answer);
  else writeLines(context.stdout, [...revocationLines(answer, answer.alreadyRevoked), ...forgotten]);
  return EXIT_OK;
}

/**
 * Every active session of a user or a profile: one call per batch, following the
 * cursor until none comes back, the counts summed. A failure after some batches says
 * how many were revoked before it (running the command again revokes the rest).
 */
async function revokeAll(api: SentinelApi, target: RevocationTarget, options: SessionsRevokeOptions, context: CommandContext): Promise<number> {
  const totals: Omit<RevokeSessionsResponse, 'cursor'> = { revoked: 0, skipped: 0, awsPending: 0 };
  let cursor: string | undefined;
  do {
    let batch: RevokeSessionsResponse;
    try {
      batch = await api.revokeSessions({
        ...target,
        reason: options.reason,
        ...(options.sessionTable === undefined ? {} : { sessionTable: options.sessionTable }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      // The same cursor again would never end: the API is not answering what it was asked.
      if (batch.cursor !== undefined && batch.cursor === cursor) throw new ApiError('API_BAD_RESPONSE', 'the API answered a revocation batch with the cursor it was sent');
    } catch (error) {
      if (totals.revoked === 0 && totals.skipped === 0) throw error;
      throw partialFailure(error, totals.revoked);
    }
    totals.revoked += batch.revoked;
    totals.skipped += batch.skipped;
    totals.awsPending += batch.awsPending;
    cursor = batch.cursor;
  } while (cursor !== undefined);

  const { bulkRevocationLines } = await import('../sessions/render.js');
  if (context.format === 'json') writeJson(context.stdout, { ...target, ...totals });
  else writeLines(context.stdout, bulkRevocationLines(target, totals));
  return EXIT_OK;
}

/** The error of a later batch, saying what the earlier ones did; its code stays. */
function partialFailure(error: unknown, revoked: number): unknown {
  if (!(error instanceof ApiError)) return error;
  return new ApiError(error.code, `${error.message} (after revoking ${revoked === 1 ? '1 session' : `${revoked} sessions`}: run the same command again to revoke the rest)`, {
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    ...(error.denial === undefined ? {} : { denial: error.denial }),
    cause: error,
  });
}

/**
 * Checks the arguments and the reason locally, confirms (unless `--yes`), and revokes.
 *
 * @throws CommanderError usage errors (exit 2): not exactly one target, a bad reason,
 *   no terminal without `--yes`; CliError `NOT_CONFIRMED`; ApiError `NOT_ADMIN` for
 *   non-admins, `NOT_FOUND`, `CONFLICT` for a session already ended, expired or failed.
 */
export async function runSessionsRevoke(options: SessionsRevokeOptions, context: CommandContext): Promise<number> {
  const revocation = revocationOf(options, context);
  await checkReason(options.reason, context);
  await confirmRevocation(revocation, options, context);
  const api = await context.api();
  return 'id' in revocation ? revokeOne(api, revocation.id, options, context) : revokeAll(api, revocation, options, context);
}

/** The revoke command under `name`: `revoke` in `sentinel sessions`, `server-revoke` at the top. */
export function sessionsRevokeCommand(name = 'revoke'): Command {
  return new Command(name)
    .description('revoke a session, or every active session of a user or a profile (admins)')
    .argument('[id]', 'the session id (32 hex digits); or name --user or --profile instead', parseSessionId)
    .requiredOption('--reason <text>', 'why (1 to 500 characters; shown to the session\'s owner)')
    .addOption(new Option('--user <user>', 'revoke every active session of this user').argParser(parseUser))
    .addOption(new Option('--profile <profile>', 'revoke every active session for this profile').argParser(parseProfile))
    .option('-y, --yes', 'revoke without asking (needed when stdin or stderr is not a terminal)')
    .addOption(sessionTableOption())
    .action((id: string | undefined, options: Omit<SessionsRevokeOptions, 'id'>, command: Command) =>
      runCommand(command, (context) => runSessionsRevoke({ ...options, ...(id === undefined ? {} : { id }) }, context)),
    );
}
