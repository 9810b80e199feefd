/**
 * Strict RFC 3339 timestamps for command-line options.
 *
 * `Date.parse` accepts far more than RFC 3339 (dates without times, times without an
 * offset read as local time, 31 February rolled into March); a policy evaluated at a
 * time the user did not mean is worse than a usage error, so only full timestamps
 * with `Z` or a numeric offset are accepted, and every field is range-checked.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * The instant an RFC 3339 timestamp names, or undefined when `value` is not one.
 *
 * Leap seconds (`:60`) are refused: JavaScript dates cannot represent them.
 * Fractions beyond milliseconds are truncated. `-00:00` reads as UTC.
 */
export function parseRfc3339(value: string): Date | undefined {
  const match = RFC3339.exec(value);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zulu === undefined) {
    const offsetHours = Number(oh);
    const offsetMins = Number(om);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const milliseconds = fraction === undefined ? 0 : Math.floor(Number(`0${fraction}`) * 1000);
  const date = new Date(0);
  // setUTCFullYear keeps years 0–99 as written (Date.UTC would map them to 1900–1999).
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, milliseconds);
  return new Date(date.getTime() - offsetMinutes * 60_000);
}
