/**
 * What the `init` flows run against: the API, the streams, the clock and the waits.
 * The command builds the real one ({@link processContext}); tests hand in fakes.
 */

import { setTimeout as delay } from 'node:timers/promises';
import type { SentinelApi } from '../api/types.js';
import type { OutputFormat } from '../output.js';
import type { PromptStreams } from '../prompt.js';
import type { ProgressStream, Ticker } from './progress.js';

export interface InitContext {
  api: SentinelApi;
  format: OutputFormat;
  /** Where the confirmation is read; only a terminal can answer. */
  stdin: PromptStreams['input'];
  /** Results only: plans, ARNs, next steps, JSON, IAM policy documents. */
  stdout: NodeJS.WritableStream;
  /** Questions, progress and (in JSON mode) the plan shown to whoever confirms. */
  stderr: ProgressStream;
  /** Milliseconds since some origin. */
  now: () => number;
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

/** The context of a real run: the process's streams and clock. */
export function processContext(api: SentinelApi, format: OutputFormat): InitContext {
  return {
    api,
    format,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => Date.now(),
    sleep: (ms) => delay(ms),
    pollIntervalMs: POLL_INTERVAL_MS,
    timeoutMs: READY_TIMEOUT_MS,
  };
}

/** Writes `lines` (newline-terminated) to `stream`. */
export function writeLines(stream: NodeJS.WritableStream, lines: readonly string[]): void {
  if (lines.length > 0) stream.write(`${lines.join('\n')}\n`);
}

/** A JSON document, two-space indented, newline-terminated (as `--output json` prints everywhere). */
export function writeJsonTo(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Text for people: on stdout in text mode; in JSON mode on stderr, so stdout holds the
 * one JSON document while whoever confirms still sees the plan.
 */
export function writeInfo(context: InitContext, lines: readonly string[]): void {
  writeLines(context.format === 'json' ? context.stderr : context.stdout, lines);
}

/** A `sentinel: …` diagnostic on stderr (the form reportError uses for failures). */
export function writeDiagnostic(context: InitContext, message: string): void {
  context.stderr.write(`sentinel: ${message}\n`);
}
