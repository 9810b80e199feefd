/**
 * Local wall-clock time of an instant in an IANA timezone, as policy time windows
 * need it: the local weekday and the minute of the local day.
 *
 * Two paths give the same answer:
 * - {@link localTime} asks `Intl.DateTimeFormat` for every instant. It is the plain,
 *   obviously-right path the reference evaluator uses.
 * - {@link localMinuteOfWeekFast} (and {@link localTimeFast}) learn the zone's UTC
 *   offset once per 15-minute UTC bucket and then only do arithmetic. The compiled
 *   evaluator uses it because a formatter call costs microseconds.
 *
 * The runtime's tz database (ICU) is the only source of truth: nothing here assumes
 * that offsets are whole minutes or that transitions fall on quarter hours.
 */

/** A local wall-clock reading. */
export interface LocalTime {
  /** 0 (sunday) … 6 (saturday), as `Date#getUTCDay`. */
  weekday: number;
  /** Minutes since local midnight, 0 … 1439 (seconds are dropped, never rounded). */
  minuteOfDay: number;
}

export const MINUTES_PER_DAY = 1440;

const MS_PER_SECOND = 1000;
const MS_PER_DAY = 86_400_000;
const SECONDS_PER_DAY = 86_400;
const BUCKET_MS = 15 * 60 * 1000;
/** 1970-01-01 (epoch day 0) was a thursday. */
const EPOCH_WEEKDAY = 4;

/**
 * Caches are bounded so that a long-lived process fed odd inputs cannot grow them
 * without limit. Zones come from policies, so 256 is far above any real use; 4,096
 * buckets cover ~42 days of one zone, while a service asking about "now" uses one.
 */
const MAX_ZONES = 256;
const MAX_BUCKETS_PER_ZONE = 4096;

const WEEKDAY_NUMBERS: Readonly<Record<string, number>> = {
  Sun: 0,
  Mon: 1,
  Tue: 2,
  Wed: 3,
  Thu: 4,
  Fri: 5,
  Sat: 6,
};

/** Everything remembered about one zone. */
interface ZoneState {
  readonly formatter: Intl.DateTimeFormat;
  /** Offset (ms) per 15-minute UTC bucket; NaN marks a bucket holding a transition. */
  readonly offsets: Map<number, number>;
  /** The bucket asked for last: a service asking about "now" skips the Map entirely. */
  lastBucket: number;
  lastOffset: number;
}

const zones = new Map<string, ZoneState>();

/** Deletes the oldest entry once a Map is over its bound (Maps iterate in insertion order). */
function evictOldest<K, V>(map: Map<K, V>, max: number): void {
  if (map.size <= max) return;
  const oldest = map.keys().next();
  if (oldest.done !== true) map.delete(oldest.value);
}

function zoneState(timeZone: string): ZoneState {
  const known = zones.get(timeZone);
  if (known !== undefined) return known;
  // Throws RangeError for a zone the runtime does not know: same error in both paths.
  const formatter = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    // h23, not hour12:false: some ICU versions print midnight as "24" with the latter.
    hourCycle: 'h23',
  });
  const state: ZoneState = { formatter, offsets: new Map(), lastBucket: Number.NaN, lastOffset: 0 };
  zones.set(timeZone, state);
  evictOldest(zones, MAX_ZONES);
  return state;
}

function epochMs(instant: Date | number): number {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  // Same message as Intl gives an invalid Date, so both paths fail alike.
  if (!Number.isFinite(ms)) throw new RangeError('Invalid time value');
  return ms;
}

/** Local weekday and second of the day of `ms`, straight from ICU. */
function formatLocal(state: ZoneState, ms: number): { weekday: number; secondOfDay: number } {
  let weekday = -1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of state.formatter.formatToParts(ms)) {
    switch (part.type) {
      case 'weekday':
        weekday = WEEKDAY_NUMBERS[part.value] ?? -1;
        break;
      case 'hour':
        hour = Number(part.value) % 24;
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      default:
        break;
    }
  }
  if (weekday < 0) throw new Error(`unexpected weekday from Intl for ${state.formatter.resolvedOptions().timeZone}`);
  return { weekday, secondOfDay: hour * 3600 + minute * 60 + second };
}

/**
 * The zone's UTC offset at `ms`, in milliseconds, from ICU.
 *
 * Derived from the weekday and time of day only (no year or month), so it holds for
 * any instant a Date can carry; offsets are far below a day, so the weekday tells
 * whether the local date is the UTC date, the day before or the day after.
 */
function exactOffsetMs(state: ZoneState, ms: number): number {
  const local = formatLocal(state, ms);
  const utcDay = Math.floor(ms / MS_PER_DAY);
  const utcWeekday = mod(utcDay + EPOCH_WEEKDAY, 7);
  const utcSecondOfDay = Math.floor((ms - utcDay * MS_PER_DAY) / MS_PER_SECOND);
  const dayShift = mod(local.weekday - utcWeekday, 7);
  const days = dayShift === 0 ? 0 : dayShift === 1 ? 1 : -1;
  return (days * SECONDS_PER_DAY + local.secondOfDay - utcSecondOfDay) * MS_PER_SECOND;
}

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

/**
 * The local wall-clock time of `instant` in `timeZone`, asked of `Intl` directly.
 *
 * @throws RangeError for an unknown timezone or an invalid Date.
 */
export function localTime(instant: Date | number, timeZone: string): LocalTime {
  const ms = epochMs(instant);
  const local = formatLocal(zoneState(timeZone), ms);
  return { weekday: local.weekday, minuteOfDay: Math.floor(local.secondOfDay / 60) };
}

/**
 * The local time of `epochMilliseconds` in `timeZone` packed as the minute of the
 * local week: `weekday * 1440 + minuteOfDay`. Same answer as {@link localTime}.
 *
 * The zone's offset is cached per 15-minute UTC bucket, and a bucket is only trusted
 * when the offsets at its first and last millisecond agree; a bucket holding a
 * transition (whatever odd minute or second it falls on) is answered exactly per
 * instant instead.
 *
 * @throws RangeError for an unknown timezone or a non-finite instant.
 */
export function localMinuteOfWeekFast(epochMilliseconds: number, timeZone: string): number {
  const ms = epochMs(epochMilliseconds);
  const state = zoneState(timeZone);
  const bucket = Math.floor(ms / BUCKET_MS);
  let offset: number;
  if (bucket === state.lastBucket) {
    offset = state.lastOffset;
  } else {
    let cached = state.offsets.get(bucket);
    if (cached === undefined) {
      const start = bucket * BUCKET_MS;
      const first = exactOffsetMs(state, start);
      const last = exactOffsetMs(state, start + BUCKET_MS - 1);
      cached = first === last ? first : Number.NaN;
      state.offsets.set(bucket, cached);
      evictOldest(state.offsets, MAX_BUCKETS_PER_ZONE);
    }
    state.lastBucket = bucket;
    state.lastOffset = cached;
    offset = cached;
  }
  if (Number.isNaN(offset)) offset = exactOffsetMs(state, ms); // a bucket holding a transition
  const local = ms + offset;
  const localDay = Math.floor(local / MS_PER_DAY);
  const minuteOfDay = Math.floor((local - localDay * MS_PER_DAY) / 60_000);
  return mod(localDay + EPOCH_WEEKDAY, 7) * MINUTES_PER_DAY + minuteOfDay;
}

/** {@link localMinuteOfWeekFast}, unpacked. */
export function localTimeFast(instant: Date | number, timeZone: string): LocalTime {
  const packed = localMinuteOfWeekFast(epochMs(instant), timeZone);
  const weekday = Math.floor(packed / MINUTES_PER_DAY);
  return { weekday, minuteOfDay: packed - weekday * MINUTES_PER_DAY };
}

/**
 * Whether the runtime's tz database knows `timeZone` as a zone name (`Europe/Paris`,
 * `UTC`, links such as `US/Eastern`; matched without regard to case, as `Intl` does).
 * Bare UTC offsets (`+01:00`) are refused: newer runtimes accept them in `Intl`, and
 * a policy must mean the same thing on every runtime.
 */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone === '' || timeZone.startsWith('+') || timeZone.startsWith('-')) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}
