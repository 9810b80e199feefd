/**
 * Drives a command's `run…(options, context)` the way its commander action does (the
 * real error path of src/cli/context.ts), against a fake API and in-memory streams,
 * and hands back what the user would see: exit code, stdout, stderr.
 */
import { CommanderError } from 'commander';
import type { Denial } from '../../../../src/api/denial.js';
import type { ErrorCode } from '../../../../src/api/contract.js';
import type { SentinelApi } from '../../../../src/cli/api/types.js';
import type { CommandContext, CommandReport } from '../../../../src/cli/context.js';
import { exitCodeOf } from '../../../../src/cli/context.js';
import { ApiError } from '../../../../src/cli/errors.js';
import { input, sink } from '../init/fakes.js';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Where the commands look for the credentials cache unless a test gives an environment: nowhere that exists. */
export const NO_CACHE_HOME = path.join(tmpdir(), `sentinel-test-no-cache-home-${process.pid}`);

export const ACCOUNT = '111122223333';

/** 2025-03-14T09:30:00Z, a Friday morning: the clock of every harness. */
export const NOW = Date.UTC(2025, 2, 14, 9, 30);

/**
 * A plain object implementing {@link SentinelApi}: the given methods, and every other one
 * failing the test if the command calls it.
 */
export function fakeApi(methods: Partial<SentinelApi>): SentinelApi {
  const notUsed = (name: string) => async (): Promise<never> => {
    throw new Error(`the command should not call api.${name}`);
  };
  return {
    credentials: notUsed('credentials'),
    whoami: notUsed('whoami'),
    profiles: notUsed('profiles'),
    getPolicy: notUsed('getPolicy'),
    putPolicy: notUsed('putPolicy'),
    evaluate: notUsed('evaluate'),
    endSession: notUsed('endSession'),
    checkSession: notUsed('checkSession'),
    listSessions: notUsed('listSessions'),
    showSession: notUsed('showSession'),
    revokeSession: notUsed('revokeSession'),
    revokeSessions: notUsed('revokeSessions'),
    createRequest: notUsed('createRequest'),
    listRequests: notUsed('listRequests'),
    showRequest: notUsed('showRequest'),
    approveRequest: notUsed('approveRequest'),
    denyRequest: notUsed('denyRequest'),
    cancelRequest: notUsed('cancelRequest'),
    invokeBreakglass: notUsed('invokeBreakglass'),
    listBreakglass: notUsed('listBreakglass'),
    closeBreakglass: notUsed('closeBreakglass'),
    provision: notUsed('provision'),
    provisionStatus: notUsed('provisionStatus'),
    iamPolicy: notUsed('iamPolicy'),
    ...methods,
  };
}

/** A denial as the API sends it (403, code POLICY_DENY unless told), with its facts. */
export function denied(denial: Partial<Denial> = {}, code: ErrorCode = 'POLICY_DENY'): ApiError {
  return new ApiError(code, 'access to profile "prod" is denied', {
    status: 403,
    requestId: 'req-4973b874',
    denial: {
      effect: 'deny',
      rule: 'prod-oncall',
      reason: 'Production is for the on-call engineer',
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: null,
      mode: 'cli',
      profile: 'prod',
      alternatives: ['request'],
      ...denial,
    },
  });
}

export interface HarnessOptions {
  format?: 'text' | 'json';
  env?: NodeJS.ProcessEnv;
  /** What is "typed" on a terminal stdin; without it stdin is not a terminal. */
  typed?: string;
  /** Whether stderr is a terminal (default not: readline then echoes nothing, so what is asked can be compared exactly). */
  stderrTTY?: boolean;
}

export interface Harness {
  context: CommandContext;
  /** How many times the command asked for the API client. */
  apiRequests(): number;
  stdout(): string;
  stderr(): string;
}

/**
 * A context around `api` (or an `api()` that fails with `api` when it is an error, as
 * a missing API URL does), with in-memory streams and a fixed clock. Usage errors are
 * written and thrown as commander does (exitOverride).
 */
export function harness(api: SentinelApi | Error, options: HarnessOptions = {}): Harness {
  const stdout = sink();
  const stderr = sink(options.stderrTTY ?? false);
  let requests = 0;
  const context: CommandContext = {
    api: async () => {
      requests += 1;
      if (api instanceof Error) throw api;
      return api;
    },
    format: options.format ?? 'text',
    stdin: options.typed === undefined ? input({ isTTY: false }) : input({ isTTY: true, typed: options.typed }),
    stdout,
    stderr,
    // A credentials cache folder that does not exist: no test reaches into this user's own (~/.cache).
    env: options.env ?? { XDG_CACHE_HOME: NO_CACHE_HOME },
    now: () => NOW,
    usageError: (message) => {
      stderr.write(`${message}\n(run with --help for usage)\n`);
      throw new CommanderError(2, 'commander.usageError', message);
    },
  };
  return { context, apiRequests: () => requests, stdout: () => stdout.text(), stderr: () => stderr.text() };
}

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `run` as the command's action would (errors reported once, by reportError, on the
 * context's streams) and returns what the user sees; a usage error is exit 2, as
 * program.ts makes it.
 */
export async function outcome(h: Harness, run: (context: CommandContext) => Promise<number>, report: CommandReport = {}): Promise<Outcome> {
  let code: number;
  try {
    code = await exitCodeOf(h.context, run, report);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = error.exitCode;
  }
  return { code, stdout: h.stdout(), stderr: h.stderr() };
}
