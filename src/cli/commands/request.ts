/**
 * `sentinel request --profile P --justification "…" [--duration D] [--wait]` — ask for
 * access to a profile the policy refuses you (docs/cli.md, Access requests); and the
 * group of access-request commands program.ts adds at the top level: `request`,
 * `requests`, `approve`, `deny`, `cancel`.
 *
 * With `--wait` it stays until the request is decided or expires, showing where it
 * stands on stderr, then prints the `sentinel exec` that now works, or the denial.
 */

import { Command } from 'commander';
import type { AccessRequestView, CreateRequestRequest } from '../../api/contract.js';
import { parseProfile } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_DENIED, EXIT_ERROR, EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';
import type { GlobalWords } from '../requests/globals.js';
import { globalWords } from '../requests/globals.js';
import { requestApproveCommand } from './requestApprove.js';
import { requestCancelCommand } from './requestCancel.js';
import { requestDenyCommand } from './requestDeny.js';
import { requestListCommand } from './requestList.js';

/** The options of `sentinel request`. */
export interface RequestOptions {
  profile: string;
  justification: string;
  /** Seconds; default the approval rule's `max_duration` (or 1 h). */
  duration?: number;
  /** Wait until the request is decided or expires. */
  wait?: boolean;
  /** The global options the printed commands repeat. */
  globals?: GlobalWords;
}

/** How `--wait` waits; tests pass a sleep that returns at once. */
export interface RequestWaiting {
  sleep?: (ms: number) => Promise<void>;
}

/** The exit code of a decided request: 0 approved; 3 (as a denial) denied or expired; 1 cancelled. */
export function outcomeExitCode(request: AccessRequestView): number {
  if (request.status === 'approved') return EXIT_OK;
  if (request.status === 'denied' || request.status === 'expired') return EXIT_DENIED;
  return EXIT_ERROR;
}

/**
 * The request, checked with the API's own schema (src/api/schemas.ts), so a short
 * justification is refused here, before any call, exactly when the API would refuse it.
 */
async function checkedRequest(options: RequestOptions, context: CommandContext): Promise<CreateRequestRequest> {
  const request: CreateRequestRequest = {
    profile: options.profile,
    justification: options.justification,
    ...(options.duration === undefined ? {} : { durationSeconds: options.duration }),
  };
  const { createRequestRequestSchema } = await import('../../api/schemas.js');
  const checked = createRequestRequestSchema.safeParse(request);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const option = issue?.path[0] === 'justification' ? '--justification <text>' : '--duration <duration>';
    context.usageError(`error: option '${option}' is invalid: ${issue?.message ?? 'not accepted'}`);
  }
  return request;
}

/**
 * Makes the request (`POST /v1/requests`) and says what happens next; with `--wait`,
 * waits for the decision (text: the outcome and the command that now works; JSON: the
 * final `{ request }`).
 *
 * @throws ApiError `INVALID_REQUEST` (no approval rule covers the profile, you can
 *   already get it, only a server-mode requirement refuses it, a duration above the
 *   rule's), `UNKNOWN_PROFILE`.
 */
export async function runRequest(options: RequestOptions, context: CommandContext, waiting: RequestWaiting = {}): Promise<number> {
  const body = await checkedRequest(options, context);
  const api = await context.api();
  const { request } = await api.createRequest(body);
  const globals = options.globals ?? {};
  const render = await import('../requests/render.js');
  if (options.wait !== true || request.status !== 'pending') {
    if (context.format === 'json') writeJson(context.stdout, { request });
    else writeLines(context.stdout, render.createdLines(request, globals, false));
    return request.status === 'pending' ? EXIT_OK : outcomeExitCode(request);
  }
  if (context.format === 'text') writeLines(context.stdout, render.createdLines(request, globals, true));
  const { waitForDecision } = await import('../requests/wait.js');
  const sleep = waiting.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const decided = await waitForDecision(api, request, { stream: context.stderr, now: context.now, sleep });
  if (context.format === 'json') writeJson(context.stdout, { request: decided });
  else writeLines(context.stdout, render.outcomeLines(decided, globals));
  return outcomeExitCode(decided);
}

/**
 * `--duration` (15m to 12h, as `sentinel exec --duration` takes it), parsed when the
 * command runs: the parser lives with exec's and is loaded lazily. A bad one is a usage error.
 */
async function durationOf(value: string, context: CommandContext): Promise<number> {
  const { DURATION_HINT, parseRequestDuration } = await import('../exec/duration.js');
  const seconds = parseRequestDuration(value);
  if (seconds === undefined) context.usageError(`error: option '--duration <duration>' argument '${value}' is invalid. ${DURATION_HINT}`);
  return seconds;
}

/** The `request` command. */
export function requestCommand(): Command {
  return new Command('request')
    .description('ask for access to a profile the policy refuses you; an approver of the profile decides')
    .requiredOption('--profile <profile>', 'the profile to ask for', parseProfile)
    .requiredOption('--justification <text>', 'why you need it (10 to 500 characters; approvers read it, and it is kept as evidence)')
    .option('--duration <duration>', "how long the access window lasts once approved: 15m, 1h, … (default: the approval rule's max_duration, or 1h)")
    .option('--wait', 'wait until the request is decided or expires, then print the command that works (Ctrl-C stops waiting; the request stays)')
    .action((options: Omit<RequestOptions, 'duration' | 'globals'> & { duration?: string }, command: Command) =>
      runCommand(command, async (context) => {
        const { duration: text, ...rest } = options;
        const duration = text === undefined ? {} : { duration: await durationOf(text, context) };
        return runRequest({ ...rest, ...duration, globals: globalWords(command) }, context);
      }),
    );
}

/**
 * `request`, `requests`, `approve`, `deny`, `cancel`, each by its name: program.ts adds
 * each at the top level (only the one a run names, when it names one).
 */
export function accessRequestCommands(): ReadonlyArray<readonly [name: string, create: () => Command]> {
  return [
    ['request', requestCommand],
    ['requests', requestListCommand],
    ['approve', requestApproveCommand],
    ['deny', requestDenyCommand],
    ['cancel', requestCancelCommand],
  ];
}
