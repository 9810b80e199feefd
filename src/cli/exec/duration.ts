/**
 * `--duration` of `sentinel exec` and `sentinel credentials` (how long the vended
 * credentials should last) and `--recheck` of `sentinel exec --server`, written as the
 * policy writes durations.
 */

import { STS_MAX_DURATION_SECONDS, STS_MIN_DURATION_SECONDS } from '../../api/constants.js';
import { parseDuration } from '../../policy/duration.js';
import { MAX_RECHECK_SECONDS, MIN_RECHECK_SECONDS } from './delivery.js';

/** Why `text` is not a usable duration, for the usage error. */
export const DURATION_HINT = `Expected a duration such as 15m, 1h or 3600s, from ${STS_MIN_DURATION_SECONDS}s (15m) to ${STS_MAX_DURATION_SECONDS}s (12h).`;

/**
 * `"15m"`, `"1h"`, `"3600s"`, `"1h30m"` → seconds; undefined for anything else,
 * including durations outside 900–43,200 s that the API would refuse anyway.
 */
export function parseRequestDuration(text: string): number | undefined {
  const seconds = parseDuration(text.trim());
  if (seconds === undefined || seconds < STS_MIN_DURATION_SECONDS || seconds > STS_MAX_DURATION_SECONDS) return undefined;
  return seconds;
}

/** Why `text` is not a usable `--recheck`, for the usage error. */
export const RECHECK_HINT = `Expected a duration such as 30s, 1m or 5m, from ${MIN_RECHECK_SECONDS}s to ${MAX_RECHECK_SECONDS / 3600}h.`;

/** `--recheck` of `sentinel exec --server`: `"30s"`, `"1m"`, `"1m30s"` → seconds; undefined outside 5 s–1 h. */
export function parseRecheckInterval(text: string): number | undefined {
  const seconds = parseDuration(text.trim());
  if (seconds === undefined || seconds < MIN_RECHECK_SECONDS || seconds > MAX_RECHECK_SECONDS) return undefined;
  return seconds;
}
