import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../src/policy/compile.js';
import { evaluatePolicy } from '../../../src/policy/evaluate.js';
import { isValidTimeZone, localTime, localTimeFast } from '../../../src/policy/time.js';
import type { Policy, TimeWindow } from '../../../src/policy/types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const hm = (text: string): number => {
  const [h, m] = text.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

function windowPolicy(time: TimeWindow): Policy {
  return {
    version: '1',
    groups: {},
    rules: [{ name: 'office-hours', effect: 'allow', conditions: { time } }],
    approvals: [],
    breakglass: [],
    admins: [],
  };
}

/**
 * Whether a request at `instant` gets in through the window, asked of both evaluators;
 * they must agree, and a window miss must be the default deny.
 */
function admitted(time: TimeWindow, instant: string | number): boolean {
  const policy = windowPolicy(time);
  const request = { user: 'alice', profile: 'prod', mode: 'cli' as const, time: new Date(instant) };
  const reference = evaluatePolicy(policy, request);
  expect(compilePolicy(policy).evaluate(request)).toEqual(reference);
  expect(reference.ruleIndex === 0 || reference.reason === 'no matching rule').toBe(true);
  return reference.effect === 'allow';
}

/** Minutes in [fromIso, fromIso + hours) at which the window admits. */
function admittedMinutes(time: TimeWindow, fromIso: string, hours: number): number[] {
  const policy = windowPolicy(time);
  const compiled = compilePolicy(policy);
  const from = Date.parse(fromIso);
  const hits: number[] = [];
  for (let t = from; t < from + hours * HOUR; t += MINUTE) {
    const request = { user: 'alice', profile: 'prod', mode: 'cli' as const, time: new Date(t) };
    const reference = evaluatePolicy(policy, request);
    expect(compiled.evaluate(request)).toEqual(reference);
    if (reference.effect === 'allow') hits.push(t);
  }
  return hits;
}

describe('localTime', () => {
  it.each([
    ['Europe/Paris', '2024-01-15T08:30:00Z', { weekday: 1, minuteOfDay: hm('09:30') }],
    ['Europe/Paris', '2024-07-15T08:30:00Z', { weekday: 1, minuteOfDay: hm('10:30') }],
    ['America/New_York', '2024-01-15T03:00:00Z', { weekday: 0, minuteOfDay: hm('22:00') }],
    ['Asia/Kolkata', '2024-01-15T20:00:00Z', { weekday: 2, minuteOfDay: hm('01:30') }],
    ['America/St_Johns', '2024-01-15T12:00:00Z', { weekday: 1, minuteOfDay: hm('08:30') }],
    ['Pacific/Kiritimati', '2024-01-14T12:00:00Z', { weekday: 1, minuteOfDay: hm('02:00') }],
    // -0:44:30 until 1972: seconds are dropped, not rounded.
    ['Africa/Monrovia', '1972-01-06T12:00:00Z', { weekday: 4, minuteOfDay: hm('11:15') }],
    ['UTC', '1969-12-31T23:59:59.999Z', { weekday: 3, minuteOfDay: hm('23:59') }],
  ])('reads %s at %s as the local wall clock', (zone, iso, expected) => {
    expect(localTime(new Date(iso), zone)).toEqual(expected);
    expect(localTimeFast(new Date(iso), zone)).toEqual(expected);
  });

  it('refuses an unknown timezone and an invalid Date in both paths alike', () => {
    expect(() => localTime(new Date(0), 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => localTimeFast(new Date(0), 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => localTime(new Date(Number.NaN), 'UTC')).toThrow(RangeError);
    expect(() => localTimeFast(new Date(Number.NaN), 'UTC')).toThrow(RangeError);
  });
});

describe('isValidTimeZone', () => {
  it.each(['Europe/Paris', 'America/New_York', 'UTC', 'Etc/GMT+5', 'US/Eastern', 'Australia/Lord_Howe', 'europe/paris'])(
    'accepts %s',
    (zone) => expect(isValidTimeZone(zone)).toBe(true),
  );
  it.each(['', 'Europe/Pariss', 'Mars/Olympus_Mons', '+01:00', '-05:00', 'Paris'])('rejects %j', (zone) =>
    expect(isValidTimeZone(zone)).toBe(false),
  );
});

describe('window edges', () => {
  const weekdays = { timezone: 'Europe/Paris', days: [1, 2, 3, 4, 5], hours: { start: hm('09:00'), end: hm('17:00') } };

  it.each([
    ['2024-01-15T07:59:59.999Z', false, 'one millisecond before 09:00'],
    ['2024-01-15T08:00:00Z', true, 'exactly 09:00 (start is inclusive)'],
    ['2024-01-15T15:59:59.999Z', true, 'the last millisecond before 17:00'],
    ['2024-01-15T16:00:00Z', false, 'exactly 17:00 (end is exclusive)'],
    ['2024-01-14T10:00:00Z', false, 'a sunday at 11:00'],
    ['2024-07-15T07:30:00Z', true, 'summer time: 09:30 local is 07:30 UTC'],
    ['2024-07-15T15:30:00Z', false, 'summer time: 17:30 local'],
  ])('%s → %s (%s)', (iso, expected) => {
    expect(admitted(weekdays, iso)).toBe(expected);
  });

  it('a window without hours covers the whole of its days, in local time', () => {
    const mondays = { timezone: 'America/New_York', days: [1] };
    expect(admitted(mondays, '2024-01-15T04:59:00Z')).toBe(false); // sunday 23:59 in New York
    expect(admitted(mondays, '2024-01-15T05:00:00Z')).toBe(true); // monday 00:00
    expect(admitted(mondays, '2024-01-16T04:59:00Z')).toBe(true); // monday 23:59
    expect(admitted(mondays, '2024-01-16T05:00:00Z')).toBe(false); // tuesday 00:00
  });

  it('an empty window (start == end) admits nobody, at any time', () => {
    const empty = { timezone: 'UTC', hours: { start: hm('09:00'), end: hm('09:00') } };
    expect(admittedMinutes(empty, '2024-01-15T00:00:00Z', 24)).toEqual([]);
  });
});

describe('windows that wrap midnight', () => {
  // friday 22:00 – 06:00: the night from friday into saturday, and only that one.
  const fridayNight = { timezone: 'UTC', days: [5], hours: { start: hm('22:00'), end: hm('06:00') } };

  it.each([
    ['2024-01-19T21:59:00Z', false, 'friday 21:59'],
    ['2024-01-19T22:00:00Z', true, 'friday 22:00'],
    ['2024-01-19T23:59:00Z', true, 'friday 23:59'],
    ['2024-01-20T00:00:00Z', true, 'saturday 00:00 belongs to friday night'],
    ['2024-01-20T03:00:00Z', true, 'saturday 03:00 belongs to friday night'],
    ['2024-01-20T05:59:00Z', true, 'saturday 05:59'],
    ['2024-01-20T06:00:00Z', false, 'saturday 06:00 (end is exclusive)'],
    ['2024-01-19T03:00:00Z', false, 'friday 03:00 belongs to thursday night'],
    ['2024-01-20T22:30:00Z', false, 'saturday 22:30: saturday night is not in the window'],
  ])('%s → %s (%s)', (iso, expected) => {
    expect(admitted(fridayNight, iso)).toBe(expected);
  });

  it('every night wraps when no days are given', () => {
    const nights = { timezone: 'Asia/Kolkata', hours: { start: hm('22:00'), end: hm('06:00') } };
    // 8 hours a night, local: 16:30Z – 00:30Z.
    const hits = admittedMinutes(nights, '2024-01-15T00:00:00Z', 24);
    expect(hits.length).toBe(8 * 60);
    expect(new Date(hits[0] ?? 0).toISOString()).toBe('2024-01-15T00:00:00.000Z');
  });
});

describe('daylight saving time', () => {
  it.each([
    ['Europe/Paris', '2024-03-30T22:00:00Z', [0]],
    ['America/New_York', '2024-03-10T04:00:00Z', [0]],
  ])('a 02:00–03:00 window never matches on the spring-forward day in %s', (zone, localMidnight, days) => {
    const gapHour = { timezone: zone, days, hours: { start: hm('02:00'), end: hm('03:00') } };
    expect(admittedMinutes(gapHour, localMidnight, 24)).toEqual([]);
  });

  it('the hour after the spring-forward gap is an ordinary hour (Europe/Paris)', () => {
    const threeToFour = { timezone: 'Europe/Paris', days: [0], hours: { start: hm('03:00'), end: hm('04:00') } };
    const hits = admittedMinutes(threeToFour, '2024-03-30T22:00:00Z', 24);
    expect(hits.length).toBe(60);
    expect(new Date(hits[0] ?? 0).toISOString()).toBe('2024-03-31T01:00:00.000Z');
  });

  it('on the fall-back day the New York 01:00–02:00 hour occurs twice and both match', () => {
    const oneToTwo = { timezone: 'America/New_York', days: [0], hours: { start: hm('01:00'), end: hm('02:00') } };
    expect(admitted(oneToTwo, '2024-11-03T05:30:00Z')).toBe(true); // 01:30 EDT
    expect(admitted(oneToTwo, '2024-11-03T06:30:00Z')).toBe(true); // 01:30 EST
    expect(admitted(oneToTwo, '2024-11-03T07:00:00Z')).toBe(false); // 02:00 EST
    const hits = admittedMinutes(oneToTwo, '2024-11-03T04:00:00Z', 25);
    expect(hits.length).toBe(120);
    expect(new Date(hits[0] ?? 0).toISOString()).toBe('2024-11-03T05:00:00.000Z');
    expect(new Date(hits.at(-1) ?? 0).toISOString()).toBe('2024-11-03T06:59:00.000Z');
  });

  it('on the fall-back day the Paris 02:00–03:00 hour occurs twice and both match', () => {
    const twoToThree = { timezone: 'Europe/Paris', days: [0], hours: { start: hm('02:00'), end: hm('03:00') } };
    const hits = admittedMinutes(twoToThree, '2024-10-26T22:00:00Z', 25);
    expect(hits.length).toBe(120);
    expect(new Date(hits[0] ?? 0).toISOString()).toBe('2024-10-27T00:00:00.000Z');
  });

  it('a working day shorter by an hour still opens at local 09:00 (America/New_York, spring forward)', () => {
    const sundayMorning = { timezone: 'America/New_York', days: [0], hours: { start: hm('00:00'), end: hm('09:00') } };
    // 00:00–09:00 local on a 23-hour day lasts 8 real hours.
    expect(admittedMinutes(sundayMorning, '2024-03-10T04:00:00Z', 24).length).toBe(8 * 60);
  });
});

describe('timezones whose date differs from UTC', () => {
  const mondayOnly = (timezone: string): TimeWindow => ({ timezone, days: [1] });

  it('a monday-only window in Pacific/Kiritimati (UTC+14) matches while it is still sunday in UTC', () => {
    const instant = '2024-01-14T12:00:00Z';
    expect(new Date(instant).getUTCDay()).toBe(0);
    expect(admitted(mondayOnly('Pacific/Kiritimati'), instant)).toBe(true);
    expect(admitted(mondayOnly('UTC'), instant)).toBe(false);
  });

  it('a monday-only window in Pacific/Auckland opens at local midnight, sunday 11:00 UTC in summer', () => {
    expect(admitted(mondayOnly('Pacific/Auckland'), '2024-01-14T10:59:00Z')).toBe(false);
    expect(admitted(mondayOnly('Pacific/Auckland'), '2024-01-14T11:00:00Z')).toBe(true);
  });
});

describe('the fast path', () => {
  const zones = [
    'Europe/Paris',
    'America/New_York',
    'Asia/Kolkata',
    'Australia/Lord_Howe',
    'America/St_Johns',
    'Pacific/Kiritimati',
    'Pacific/Auckland',
    'Africa/Monrovia',
    'Asia/Kathmandu',
    'UTC',
  ];

  function expectSameAt(instants: readonly number[], zone: string): void {
    const mismatches = instants.filter((t) => {
      const exact = localTime(t, zone);
      const fast = localTimeFast(t, zone);
      return exact.weekday !== fast.weekday || exact.minuteOfDay !== fast.minuteOfDay;
    });
    expect(mismatches.map((t) => new Date(t).toISOString())).toEqual([]);
  }

  it.each([
    ['Europe/Paris', '2024-03-31T01:00:00Z'],
    ['Europe/Paris', '2024-10-27T01:00:00Z'],
    ['America/New_York', '2024-03-10T07:00:00Z'],
    ['America/New_York', '2024-11-03T06:00:00Z'],
    ['Australia/Lord_Howe', '2024-04-06T15:00:00Z'], // half-hour shift
    ['Australia/Lord_Howe', '2024-10-05T15:30:00Z'],
    ['America/St_Johns', '2024-03-10T05:30:00Z'],
    ['Pacific/Apia', '2011-12-30T10:00:00Z'], // skipped a whole day
    ['Europe/Paris', '1911-03-11T00:00:00Z'], // Paris mean time (+0:09:21) to WET
    ['Africa/Monrovia', '1972-01-07T00:44:30Z'], // -0:44:30 to GMT, mid-bucket, on a half minute
  ])('agrees with Intl every 7 seconds across %s %s', (zone, iso) => {
    const at = Date.parse(iso);
    const instants: number[] = [];
    for (let t = at - 2 * HOUR; t <= at + 2 * HOUR; t += 7_000) instants.push(t, t + 999);
    expectSameAt(instants, zone);
  });

  it('agrees with Intl at thousands of instants from 1900 to 2100, in many zones', () => {
    // A fixed linear congruential sequence: the same instants on every run.
    let seed = 20240331;
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const from = Date.parse('1900-01-01T00:00:00Z');
    const span = Date.parse('2100-12-31T00:00:00Z') - from;
    for (const zone of zones) {
      const instants = Array.from({ length: 600 }, () => from + Math.floor(next() * span));
      expectSameAt(instants, zone);
    }
  });

  it('stays exact after visiting more buckets than its cache holds', () => {
    const start = Date.parse('2024-01-01T00:00:00Z');
    const instants = Array.from({ length: 6000 }, (_, i) => start + i * 15 * MINUTE + 7 * MINUTE);
    expectSameAt([...instants, ...instants.slice(0, 50)], 'Europe/Paris');
  });
});
