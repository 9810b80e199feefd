/**
 * The CLI's hand-written checks of its hot answers (src/api/answerChecks.ts) against the
 * schemas they stand in for (src/api/responseSchemas.ts), on generated answers: every
 * valid one, and each after a few members were dropped, replaced by other JSON or added.
 * A check must accept exactly what its schema accepts and return what the schema's parse
 * returns, so that which of the two the client used never shows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { checkSessionAnswer, credentialsAnswer, isIsoDateTime } from '../../../src/api/answerChecks.js';
import { checkSessionResponse, credentialsResponse } from '../../../src/api/responseSchemas.js';

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** Date-times and near misses: every field in and just out of range, fractions, zones and separators a producer might get wrong. */
const dateTimeLike: fc.Arbitrary<string> = fc.oneof(
  fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2300-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString()),
  fc
    .record({
      year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1900, 2000, 2024, 2100, 2400, 2025)),
      month: fc.integer({ min: 0, max: 13 }),
      day: fc.oneof(fc.integer({ min: 0, max: 32 }), fc.constantFrom(28, 29, 30, 31)),
      hour: fc.integer({ min: 0, max: 25 }),
      minute: fc.integer({ min: 0, max: 61 }),
      second: fc.option(fc.integer({ min: 0, max: 61 })),
      fraction: fc.constantFrom('', '.', '.5', '.123', '.123456789', ',5'),
      zone: fc.oneof(
        fc.constantFrom('Z', 'z', '', '+0100', '+01', 'UTC'),
        fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 })).map(([sign, h, m]) => `${sign}${pad(h)}:${pad(m)}`),
      ),
      separator: fc.constantFrom('T', 'T', 'T', ' ', 't'),
      yearWidth: fc.constantFrom(4, 4, 4, 5),
    })
    .map(
      ({ year, month, day, hour, minute, second, fraction, zone, separator, yearWidth }) =>
        `${pad(year, yearWidth)}-${pad(month)}-${pad(day)}${separator}${pad(hour)}:${pad(minute)}${second === null ? '' : `:${pad(second)}`}${fraction}${zone}`,
    ),
  fc.string(),
);

const validDateTime = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString());
const filled = fc.string({ minLength: 1 });

const credentialsAnswers = fc.record(
  {
    credentials: fc.record({ accessKeyId: filled, secretAccessKey: filled, sessionToken: filled, expiration: validDateTime }),
    session: fc.option(fc.record({ id: fc.string(), table: fc.string(), expiresAt: validDateTime })),
    sourceIdentity: fc.string(),
    profile: fc.string(),
    region: fc.string(),
    decision: fc.record({ effect: fc.constant('allow'), rule: fc.string() }),
  },
  { requiredKeys: ['credentials', 'session', 'sourceIdentity', 'profile', 'decision'] },
);

const checkSessionAnswers = fc.record({
  session: fc.record({ id: fc.string(), status: fc.constant('active'), expiresAt: validDateTime, lastAccessAt: validDateTime, requestCount: fc.nat() }),
  decision: fc.record({ effect: fc.constant('allow'), rule: fc.string() }),
  policyVersion: fc.integer({ min: 0 }),
});

/** Other values a member may be given: any JSON, and the near misses of each kind of member. */
const replacement: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  dateTimeLike,
  fc.constantFrom('', 'allow', 'deny', 'active', 'revoked', null, 0, -0, 1.5, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, [], {}),
);

type Mutation = { path: number[]; kind: 'delete' | 'replace' | 'add'; value: unknown; key: string };
const mutations = fc.array(
  fc.record({
    path: fc.array(fc.nat(), { maxLength: 3 }),
    kind: fc.constantFrom('delete', 'replace', 'add') as fc.Arbitrary<Mutation['kind']>,
    value: replacement,
    key: fc.constantFrom('extra', 'region', '__proto__', 'constructor'),
  }),
  { maxLength: 3 },
);

/** Applies each mutation at the member its path picks (indices modulo the members there). */
function mutate(answer: unknown, changes: readonly Mutation[]): unknown {
  const copy: unknown = structuredClone(answer);
  let root: unknown = copy;
  for (const change of changes) {
    let parent: Record<string, unknown> | undefined;
    let key: string | undefined;
    let at: unknown = root;
    for (const step of change.path) {
      if (typeof at !== 'object' || at === null || Array.isArray(at)) break;
      const keys = Object.keys(at);
      if (keys.length === 0) break;
      parent = at as Record<string, unknown>;
      key = keys[step % keys.length] as string;
      at = parent[key];
    }
    // A copy each time: the same generated value put in twice, once inside itself, would make a cycle, which no JSON has.
    const value: unknown = structuredClone(change.value);
    if (change.kind === 'add' && typeof at === 'object' && at !== null && !Array.isArray(at)) Object.defineProperty(at, change.key, { value, enumerable: true, writable: true, configurable: true });
    else if (parent === undefined || key === undefined) root = change.kind === 'replace' ? value : root;
    else if (change.kind === 'delete') delete parent[key];
    else parent[key] = value;
  }
  return root;
}

/** Same verdict and, when accepted, the same value as the schema. */
function agrees(check: (json: unknown) => unknown, schema: z.ZodMiniType, input: unknown): void {
  const fast = check(input);
  const slow = schema.safeParse(input);
  expect(fast !== undefined, JSON.stringify(input)).toBe(slow.success);
  if (slow.success) expect(fast).toStrictEqual(slow.data);
}

describe('isIsoDateTime', () => {
  it('accepts exactly what z.iso.datetime({ offset: true }) accepts', () => {
    const schema = z.iso.datetime({ offset: true });
    fc.assert(
      fc.property(dateTimeLike, (value) => {
        expect(isIsoDateTime(value), value).toBe(schema.safeParse(value).success);
      }),
      { numRuns: 5000 },
    );
  });

  it('knows the leap years and the lengths of the months', () => {
    expect(['2024-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '2026-04-30T23:59:59.999+05:30', '2026-12-31T00:00:00-23:59'].map(isIsoDateTime)).toEqual([true, true, true, true]);
    expect(['2026-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00Z', '2026-01-01T00:00:00+24:00'].map(isIsoDateTime)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect([undefined, null, 1_700_000_000, new Date()].map(isIsoDateTime)).toEqual([false, false, false, false]);
  });
});

const CHECKS: readonly { route: string; check: (json: unknown) => unknown; schema: () => z.ZodMiniType; answers: fc.Arbitrary<unknown> }[] = [
  { route: 'POST /v1/credentials', check: credentialsAnswer, schema: credentialsResponse, answers: credentialsAnswers },
  { route: 'POST /v1/sessions/{id}/check', check: checkSessionAnswer, schema: checkSessionResponse, answers: checkSessionAnswers },
];

describe.each(CHECKS)('the check of $route answers', ({ check, schema, answers }) => {
  it('accepts every valid answer, as the schema parses it', () => {
    fc.assert(
      fc.property(answers, (answer) => {
        expect(check(answer)).toBeDefined();
        agrees(check, schema(), answer);
      }),
    );
  });

  it('agrees with the schema on answers with members dropped, replaced or added', () => {
    fc.assert(fc.property(answers, mutations, (answer, changes) => agrees(check, schema(), mutate(answer, changes))), { numRuns: 3000 });
  });
});

describe('credentialsAnswer', () => {
  it('leaves out members the schema does not name, at every level', () => {
    const answer = {
      credentials: { accessKeyId: 'ASIA1', secretAccessKey: 's', sessionToken: 't', expiration: '2026-12-07T12:00:00Z', extra: 1 },
      session: { id: 'a', table: 'b', expiresAt: '2026-12-07T12:00:00Z', extra: 2 },
      sourceIdentity: 'alice',
      profile: 'dev',
      decision: { effect: 'allow', rule: 'r', extra: 3 },
      extra: 4,
    };
    expect(credentialsAnswer(answer)).toStrictEqual({
      credentials: { accessKeyId: 'ASIA1', secretAccessKey: 's', sessionToken: 't', expiration: '2026-12-07T12:00:00Z' },
      session: { id: 'a', table: 'b', expiresAt: '2026-12-07T12:00:00Z' },
      sourceIdentity: 'alice',
      profile: 'dev',
      decision: { effect: 'allow', rule: 'r' },
    });
  });
});
