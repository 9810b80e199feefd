/**
 * Durations as the policy document and the configuration write them: `900s`, `15m`,
 * `1h`, `1h30m`. A module of its own so that readers of durations (the configuration,
 * the CLI's `--duration`) do not load the YAML parser.
 */

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `"900s"`, `"15m"`, `"1h"`, `"1h30m"` → seconds; undefined for anything else (bare numbers, zero, fractions, other units). */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null || text === '') return undefined;
  const [, h = '0', m = '0', s = '0'] = match;
  const seconds = Number(h) * 3600 + Number(m) * 60 + Number(s);
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** Seconds → the form the policy writes (`5400` → `1h30m`, `900` → `15m`); `0s` for nothing. */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
}
