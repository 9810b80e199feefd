/**
 * What the `init` flows run against: the command's context (src/cli/context.ts) with
 * the API client already built, and the waits of table creation. The command builds
 * the real one ({@link initContext}); tests hand in fakes.
 */

import { setTimeout as delay } from 'node:timers/promises';
import type { SentinelApi } from '../api/types.js';
import type { CommandContext } from '../context.js';
import type { Ticker } from './progress.js';

/** The command's context as the init flows use it: the API client already built, plus the waits. */
export interface InitContext extends Omit<CommandContext, 'api' | 'env' | 'usageError'> {
  api: SentinelApi;
  sleep: (ms: number) => Promise<void>;
  /** Wait between status polls while a table is being created. */
  pollIntervalMs: number;
  /** Longest wait for a table to become ready before giving up (the table keeps being created). */
  timeoutMs: number;
  /** Spinner redraws on a terminal (default every 100 ms). */
  ticker?: Ticker;
}

/** Status polls once a second: DescribeTable is cheap and creation usually takes seconds to a minute. */
export const POLL_INTERVAL_MS = 1_000;
/** Five minutes: tables with indexes seldom take more than a couple. */
export const READY_TIMEOUT_MS = 5 * 60_000;

/** The context of a real run: the command's streams, format and clock, `api`, and real waits. */
export function initContext(context: CommandContext, api: SentinelApi): InitContext {
  return {
    api,
    format: context.format,
    stdin: context.stdin,
    stdout: context.stdout,
    stderr: context.stderr,
    now: context.now,
    sleep: (ms) => delay(ms),
    pollIntervalMs: POLL_INTERVAL_MS,
    timeoutMs: READY_TIMEOUT_MS,
  };
}
