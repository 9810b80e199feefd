import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../src/policy/compile.js';
import { evaluatePolicy } from '../../../src/policy/evaluate.js';
import { localTime } from '../../../src/policy/time.js';
import { EFFECTS, MODES } from '../../../src/policy/types.js';
import type { EvaluationContext, EvaluationRequest, Policy, Rule, TimeWindow } from '../../../src/policy/types.js';

const PROFILES = ['prod', 'staging', 'dev', 'audit'];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
/** 'ghosts' and 'constructor' are referenced by rules but never defined; 'empty' has no members. */
const GROUP_NAMES = ['platform', 'sre', 'empty', 'ghosts', 'constructor'];
const GROUPS: Record<string, string[]> = { platform: ['alice', 'bob'], sre: ['carol', 'bob'], empty: [] };
const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns', 'UTC'];

const FROM = Date.parse('1970-01-01T00:00:00Z');
const TO = Date.parse('2100-12-31T23:59:59Z');
const HOUR = 3_600_000;

function offsetMinutes(ms: number, zone: string): number {
  const local = localTime(ms, zone);
  const utc = new Date(ms);
  const diff = local.weekday * 1440 + local.minuteOfDay - (utc.getUTCDay() * 1440 + utc.getUTCHours() * 60 + utc.getUTCMinutes());
  return ((diff + 5040 + 10080) % 10080) - 5040;
}

/**
 * Every UTC-offset change of the test zones, 1970–2100, to the minute: offsets are
 * sampled at each month start and the changes found by bisection.
 */
function transitions(): number[] {
  const found: number[] = [];
  for (const zone of ZONES) {
    for (let year = 1970; year <= 2100; year++) {
      for (let month = 0; month < 12; month++) {
        let lo = Date.UTC(year, month, 1);
        let hi = Date.UTC(year, month + 1, 1);
        if (offsetMinutes(lo, zone) === offsetMinutes(hi, zone)) continue;
        const before = offsetMinutes(lo, zone);
        while (hi - lo > 60_000) {
          const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
          if (offsetMinutes(mid, zone) === before) lo = mid;
          else hi = mid;
        }
        found.push(hi);
      }
    }
  }
  return found;
}

const TRANSITIONS = transitions();

const subsetOf = <T>(values: readonly T[]): fc.Arbitrary<T[]> => fc.subarray([...values]);

/** Minutes of the day, mostly on the quarter hour like real policies, sometimes anywhere. */
const minuteOfDay = fc.oneof(
  fc.integer({ min: 0, max: 95 }).map((q) => q * 15),
  fc.integer({ min: 0, max: 1439 }),
);

const timeWindow: fc.Arbitrary<TimeWindow> = fc.record(
  {
    timezone: fc.constantFrom(...ZONES),
    days: fc.subarray([0, 1, 2, 3, 4, 5, 6], { minLength: 0 }),
    hours: fc.oneof(
      fc.record({ start: minuteOfDay, end: minuteOfDay }),
      // start == end: never matches, in both evaluators.
      minuteOfDay.map((m) => ({ start: m, end: m })),
    ),
  },
  { requiredKeys: ['timezone'] },
);

const rule = (index: number): fc.Arbitrary<Rule> =>
  fc
    .record(
      {
        effect: fc.constantFrom(...EFFECTS),
        profiles: subsetOf([...PROFILES, 'unused-profile']),
        users: subsetOf([...USERS, 'zoe']),
        groups: subsetOf(GROUP_NAMES),
        mode: subsetOf(MODES),
        time: timeWindow,
        reason: fc.constantFrom('because', 'Production needs tracked sessions'),
        maxServerDurationSeconds: fc.constantFrom(900, 3600),
        sessionTable: fc.constantFrom('rule-table', 'sentinel-sessions'),
      },
      { requiredKeys: ['effect'] },
    )
    .map(({ effect, reason, maxServerDurationSeconds, sessionTable, ...conditions }) => {
      const built: Rule = { name: `rule-${index}`, effect, conditions };
      if (reason !== undefined) built.reason = reason;
      if (maxServerDurationSeconds !== undefined) built.maxServerDurationSeconds = maxServerDurationSeconds;
      if (sessionTable !== undefined) built.sessionTable = sessionTable;
      return built;
    });

const policy: fc.Arbitrary<Policy> = fc
  .integer({ min: 0, max: 12 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => rule(i))))
  .map((rules) => ({ version: '1', groups: GROUPS, rules, approvals: [], breakglass: [], admins: [] }));

const QUARTER_HOUR = 15 * 60_000;
/** On a window edge, or just before one: every test zone's offset is whole quarter hours. */
const nearEdge = fc.constantFrom(0, -1, -60_000);

const instant = fc.oneof(
  { weight: 1, arbitrary: fc.integer({ min: FROM, max: TO }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: FROM / QUARTER_HOUR, max: Math.floor(TO / QUARTER_HOUR) }), nearEdge)
      .map(([quarter, delta]) => quarter * QUARTER_HOUR + delta),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -12, max: 12 }), nearEdge)
      .map(([at, quarters, delta]) => at + quarters * QUARTER_HOUR + delta),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -3 * HOUR, max: 3 * HOUR }))
      .map(([at, delta]) => at + delta),
  },
);

const request: fc.Arbitrary<EvaluationRequest> = fc
  .record(
    {
      user: fc.constantFrom(...USERS, 'mallory', 'platform'),
      profile: fc.constantFrom(...PROFILES, 'unknown-profile'),
      mode: fc.constantFrom(...MODES),
      time: instant.map((ms) => new Date(ms)),
      sessionTable: fc.constantFrom('request-table', ''),
    },
    { requiredKeys: ['user', 'profile', 'mode', 'time'] },
  );

const context: fc.Arbitrary<EvaluationContext> = fc.record(
  { defaultSessionTable: fc.constantFrom('default-table', '') },
  { requiredKeys: [] },
);

/**
 * A larger world than the one above: enough profiles and users that a user's record
 * holds many pairs (found by a binary search), some with one rule and some with several,
 * and names shared between profile-only, user-only and pair filings. Groups repeat
 * members, share them with other groups and name users no rule names directly.
 */
const MANY_PROFILES = Array.from({ length: 24 }, (_, i) => `p${i}`);
const MANY_USERS = Array.from({ length: 30 }, (_, i) => `u${i}`);
const manyGroups: fc.Arbitrary<Record<string, string[]>> = fc
  .array(fc.array(fc.constantFrom(...MANY_USERS), { maxLength: 8 }), { minLength: 4, maxLength: 4 })
  .map((lists) => Object.fromEntries(lists.map((members, i) => [`g${i}`, members])));

const manyRule = (index: number): fc.Arbitrary<Rule> =>
  fc
    .record(
      {
        effect: fc.constantFrom(...EFFECTS),
        profiles: fc.array(fc.constantFrom(...MANY_PROFILES), { maxLength: 6 }),
        users: fc.array(fc.constantFrom(...MANY_USERS), { maxLength: 6 }),
        groups: fc.array(fc.constantFrom('g0', 'g1', 'g2', 'g3', 'g-undefined'), { maxLength: 2 }),
        mode: subsetOf(MODES),
        time: timeWindow,
      },
      { requiredKeys: ['effect'] },
    )
    .map(({ effect, ...conditions }) => ({ name: `rule-${index}`, effect, conditions }));

const manyPolicy: fc.Arbitrary<Policy> = fc
  .tuple(fc.integer({ min: 0, max: 60 }), manyGroups)
  .chain(([count, groups]) => fc.tuple(fc.constant(groups), fc.tuple(...Array.from({ length: count }, (_, i) => manyRule(i)))))
  .map(([groups, rules]) => ({ version: '1', groups, rules, approvals: [], breakglass: [], admins: [] }));

const manyRequest: fc.Arbitrary<EvaluationRequest> = fc.record({
  user: fc.constantFrom(...MANY_USERS, 'stranger', 'g0'),
  profile: fc.constantFrom(...MANY_PROFILES, 'unknown-profile'),
  mode: fc.constantFrom(...MODES),
  time: instant.map((ms) => new Date(ms)),
});

describe('compilePolicy', () => {
  it('decides exactly as evaluatePolicy for random policies and requests', () => {
    // The bias toward transitions is real: Paris, New York, Lord Howe and St John's
    // change twice a year for most of the range.
    expect(TRANSITIONS.length).toBeGreaterThan(4 * 100);
    fc.assert(
      fc.property(policy, fc.array(fc.tuple(request, context), { minLength: 1, maxLength: 12 }), (doc, requests) => {
        const compiled = compilePolicy(doc);
        for (const [req, ctx] of requests) {
          expect(compiled.evaluate(req, ctx)).toEqual(evaluatePolicy(doc, req, ctx));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('decides exactly as evaluatePolicy when rules naming users and profiles are filed as broad ones', () => {
    // The default limits file every rule of a small policy per (user, profile) pair; low
    // ones send them down the other paths: filed under their profiles or their users,
    // with the other side checked on the rule, and the policy-wide cap reached mid-document.
    const limits = fc.record({ pairLimit: fc.integer({ min: 0, max: 6 }), maxPairs: fc.integer({ min: 0, max: 12 }) });
    fc.assert(
      fc.property(policy, limits, fc.array(fc.tuple(request, context), { minLength: 1, maxLength: 12 }), (doc, limit, requests) => {
        const compiled = compilePolicy(doc, limit);
        for (const [req, ctx] of requests) {
          expect(compiled.evaluate(req, ctx)).toEqual(evaluatePolicy(doc, req, ctx));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('decides exactly as evaluatePolicy when the same (profile, user) is asked at many times', () => {
    // Repeats walk the same lists and hit the cached zone offsets.
    fc.assert(
      fc.property(policy, request, fc.array(instant, { minLength: 1, maxLength: 20 }), (doc, req, times) => {
        const compiled = compilePolicy(doc);
        for (const ms of times) {
          const at = { ...req, time: new Date(ms) };
          expect(compiled.evaluate(at)).toEqual(evaluatePolicy(doc, at));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('decides exactly as evaluatePolicy with many profiles, users and pairs per user', () => {
    fc.assert(
      fc.property(manyPolicy, fc.array(manyRequest, { minLength: 1, maxLength: 40 }), (doc, requests) => {
        const compiled = compilePolicy(doc);
        for (const req of requests) expect(compiled.evaluate(req)).toEqual(evaluatePolicy(doc, req));
      }),
      { numRuns: 500 },
    );
  });
});
