/**
 * What `sentinel exec` does once its options are parsed (src/cli/commands/exec.ts
 * holds the definition and loads this module only when the command runs).
 *
 * stdout belongs to the child: everything sentinel itself has to say goes to stderr,
 * except a refusal reported before the child starts with `--output json`, which is the
 * command's result like any other command's error.
 */

import type { Command } from 'commander';
import type { CredentialsResponse } from '../../api/contract.js';
import { EXIT_USAGE } from '../exitCodes.js';
import { outputFormat } from '../output.js';
import type { OutputFormat } from '../output.js';
import { reportError } from '../report.js';
import type { SentinelApi } from '../api/types.js';
import { passOn, runChild, startFailureExitCode } from './child.js';
import type { ChildOutcome } from './child.js';
import { childEnvironment, createChildAwsFiles } from './environment.js';
import type { CreatedChildAwsFiles } from './environment.js';
import type { ServerSession } from './serverSession.js';
import { CliError, SESSION_OVER } from '../errors.js';
import { CodedError } from '../../errors.js';

/** The options of `sentinel exec`, as commander hands them over. */
export interface ExecOptions {
  profile: string;
  server?: boolean;
  serverPort?: number;
  lazy?: boolean;
  /** `--recheck`: how often the endpoint re-checks the session (a duration, e.g. `30s`). */
  recheck?: string;
  /** `--session-table`, or `SENTINEL_SESSION_TABLE`. */
  sessionTable?: string;
  duration?: string;
}

/** Where the API client comes from; tests hand in a fake. */
export type ApiFactory = (command: Command) => Promise<SentinelApi>;

/** A usage error reported the way commander reports its own (exit 2, hint to run --help). */
function usageError(command: Command, message: string): never {
  command.error(`error: ${message}`, { exitCode: EXIT_USAGE, code: 'commander.usageError' });
}

/** The shell to start when no command is given. */
function defaultShell(env: NodeJS.ProcessEnv): string {
  const shell = env['SHELL'];
  return shell === undefined || shell === '' ? '/bin/sh' : shell;
}

const apiForCommand: ApiFactory = async (command) => {
  const { apiFor } = await import('../api/fromCommand.js');
  return apiFor(command);
};

/**
 * Runs `sentinel exec` and returns the exit code: the child's own, 128 + n when a
 * signal killed it (after re-raising that signal on sentinel where that is safe),
 * 1 for an error, 2 for a usage error, 3 for a policy denial, 127/126 when the
 * command cannot be started.
 */
export async function executeCommand(
  args: readonly string[],
  options: ExecOptions,
  command: Command,
  createApi: ApiFactory = apiForCommand,
): Promise<number> {
  const server = options.server === true;
  if (options.serverPort !== undefined && !server) usageError(command, "option '--server-port <port>' needs --server");
  if (options.lazy === true && !server) usageError(command, "option '--lazy' needs --server");
  if (options.recheck !== undefined && !server) usageError(command, "option '--recheck <duration>' needs --server");
  let durationSeconds: number | undefined;
  let recheckSeconds: number | undefined;
  if (options.duration !== undefined || options.recheck !== undefined) {
    // Loaded only when needed, as every module a plain `exec` does not use.
    const { DURATION_HINT, RECHECK_HINT, parseRecheckInterval, parseRequestDuration } = await import('./duration.js');
    if (options.duration !== undefined) {
      durationSeconds = parseRequestDuration(options.duration);
      if (durationSeconds === undefined) {
        usageError(command, `option '--duration <duration>' argument '${options.duration}' is invalid. ${DURATION_HINT}`);
      }
    }
    if (options.recheck !== undefined) {
      recheckSeconds = parseRecheckInterval(options.recheck);
      if (recheckSeconds === undefined) usageError(command, `option '--recheck <duration>' argument '${options.recheck}' is invalid. ${RECHECK_HINT}`);
    }
  }
  const nested = process.env['SENTINEL_PROFILE'];
  if (nested !== undefined && nested !== '') {
    throw new CliError(
      'NESTED_EXEC',
      `already running under "sentinel exec" for profile ${JSON.stringify(nested)} (SENTINEL_PROFILE is set): exit that command or shell first`,
    );
  }

  const format = outputFormat(command);
  const argv = args.length > 0 ? [...args] : [defaultShell(process.env)];
  const request = {
    profile: options.profile,
    ...(options.sessionTable === undefined || options.sessionTable === '' ? {} : { sessionTable: options.sessionTable }),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
  };
  const context: RunContext = { argv, format, profile: options.profile };
  let api: SentinelApi;
  try {
    api = await createApi(command);
  } catch (error) {
    return reportError(error, { format, command: argv });
  }
  return server
    ? runServerMode(api, context, { ...request, port: options.serverPort, lazy: options.lazy === true, recheckSeconds })
    : runCliMode(api, context, request);
}

interface RunContext {
  argv: string[];
  format: OutputFormat;
  profile: string;
}

interface Request {
  profile: string;
  sessionTable?: string;
  durationSeconds?: number;
}

/** `cli` mode: one request, the keys in the child's environment. */
async function runCliMode(api: SentinelApi, context: RunContext, request: Request): Promise<number> {
  let response: CredentialsResponse;
  try {
    response = await api.credentials({ ...request, mode: 'cli' });
  } catch (error) {
    // A denial's guidance names the user's own command in place of <cmd>.
    return reportError(error, { format: context.format, command: context.argv });
  }
  const env = childEnvironment(process.env, {
    profile: context.profile,
    credentials: { kind: 'static', credentials: response.credentials },
    region: response.region,
    sessionId: response.session?.id,
  });
  const outcome = await runReported(context, env);
  return typeof outcome === 'number' ? outcome : passOn(outcome);
}

/**
 * `server` mode: the local endpoint serves the session's credentials from memory,
 * renewed and re-checked in the background (src/cli/exec/serverSession.ts); the child
 * reads AWS files of its own (removed when it is done); when the child is done the
 * background work stops and the session is ended, before sentinel exits.
 */
async function runServerMode(
  api: SentinelApi,
  context: RunContext,
  request: Request & { port: number | undefined; lazy: boolean; recheckSeconds: number | undefined },
): Promise<number> {
  // The endpoint and the session machinery only load in this mode: a plain exec does not parse them.
  const [{ ServerSession }, { startCredentialServer }] = await Promise.all([import('./serverSession.js'), import('./credentialServer.js')]);
  const session = new ServerSession(api, {
    profile: request.profile,
    sessionTable: request.sessionTable,
    durationSeconds: request.durationSeconds,
    recheckMs: request.recheckSeconds === undefined ? undefined : request.recheckSeconds * 1000,
    // Printed while the child runs: stderr only, whatever the format.
    report: (error) => reportError(error, { format: context.format, command: context.argv, stdoutReserved: true }),
  });
  let first: CredentialsResponse | undefined;
  let files: CreatedChildAwsFiles | undefined;
  let endpoint: Awaited<ReturnType<typeof startCredentialServer>>;
  try {
    // Ask once before anything runs, so a denial and its guidance come first. With
    // --lazy the child's first credential request asks instead, so its environment
    // cannot name the session or the profile's region: GET /session on the endpoint does.
    if (!request.lazy) first = await session.open();
    // The child's own AWS files, so that nothing in the caller's comes before the endpoint.
    files = await createChildAwsFiles(process.env);
    endpoint = await startCredentialServer({
      port: request.port,
      getCredentials: () => session.credentials(),
      describeSession: () => session.describe(),
    });
  } catch (error) {
    session.close();
    await files?.remove();
    await endQuietly(session, context.format);
    return reportError(error, { format: context.format, command: context.argv });
  }

  const env = childEnvironment(process.env, {
    profile: context.profile,
    credentials: { kind: 'endpoint', url: endpoint.url, token: endpoint.token, files },
    region: first?.region,
    sessionId: first?.session?.id,
  });
  let outcome: ChildOutcome | number;
  try {
    outcome = await runReported(context, env);
  } finally {
    session.close();
    await endpoint.close();
    await endQuietly(session, context.format);
    await files.remove();
  }
  return typeof outcome === 'number' ? outcome : passOn(outcome);
}

/** Runs the child; a command that cannot be started is reported and becomes 127 or 126. */
async function runReported(context: RunContext, env: NodeJS.ProcessEnv): Promise<ChildOutcome | number> {
  try {
    return await runChild(context.argv, env);
  } catch (error) {
    if (!(error instanceof CodedError)) throw error;
    reportError(error, { format: context.format, stdoutReserved: true });
    return startFailureExitCode(error);
  }
}

/**
 * Ends the server session. A failure is reported on stderr but does not change the
 * exit code: the command has run, and the session still expires on its own.
 */
async function endQuietly(session: ServerSession, format: OutputFormat): Promise<void> {
  const tracked = session.session;
  try {
    await session.end();
  } catch (error) {
    // Revoked, ended or expired already: no longer active, which is all ending was for.
    if (error instanceof CodedError && SESSION_OVER.has(error.code)) return;
    const reason = error instanceof Error ? error.message : String(error);
    const message = `could not end session ${tracked?.id ?? ''} (it stays active until it expires): ${reason}`;
    reportError(new CliError(error instanceof CodedError ? error.code : 'INTERNAL', message), { format, stdoutReserved: true });
  }
}
