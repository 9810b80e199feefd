/**
 * `--duration` of `sentinel exec` and `sentinel credentials`: how long the vended
 * credentials should last, written as the policy writes durations.
 */

import { STS_MAX_DURATION_SECONDS, STS_MIN_DURATION_SECONDS } from '../../api/constants.js';
import { parseDuration } from '../../policy/duration.js';


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
