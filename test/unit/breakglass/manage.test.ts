/**
 * The break-glass domain (src/breakglass/manage.ts) with a fake store: which rule
 * allows what, the duration rules, the guards an invocation must pass (fixed windows
 * aligned to the epoch, cooldown, ttl), the refusals' words and Retry-After, who may
 * close and list, what is logged for an alarm, and the grants issuance reads.
 */

import { describe, expect, it } from 'vitest';
import type { BreakglassDeps } from '../../../src/breakglass/manage.js';
import {
  breakglassGrants,
  closeBreakglass,
  DEFAULT_QUOTA_WINDOW_SECONDS,
  fixedWindow,
  invokeBreakglass,
  listBreakglass,
  planInvocation,
} from '../../../src/breakglass/manage.js';
import { BreakglassRefusedError } from '../../../src/breakglass/types.js';
import type { BreakglassPage, BreakglassQuery, BreakglassRecord, BreakglassStore, InvocationGuards } from '../../../src/breakglass/types.js';
import { UnavailableError } from '../../../src/errors.js';
import type { Caller } from '../../../src/identity/types.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { parsePolicy } from '../../../src/policy/parse.js';
import type { Policy } from '../../../src/policy/types.js';
import { cursorCodec, cursorKey } from '../../../src/sessions/cursor.js';
import { person } from '../../support/callers.js';
import { caught } from '../../support/caught.js';

const POLICY = `
version: "1"
profiles:
  prod: { role_arn: "arn:aws:iam::111122223333:role/prod" }
  db: { role_arn: "arn:aws:iam::111122223333:role/db" }
  long: { role_arn: "arn:aws:iam::111122223333:role/long" }
  short: { role_arn: "arn:aws:iam::111122223333:role/short" }
  hidden: { role_arn: "arn:aws:iam::111122223333:role/hidden" }
rules: []
breakglass:
  - name: oncall
    profiles: [prod, db]
    users: [alice, bob]
    reason_codes: [incident, security]
    max_duration: 2h
    rate_limit: { cooldown: 30m, max_per_user: 3, max_per_profile: 10, window: 24h }
  - name: dba
    profiles: [db]
    users: [alice]
    reason_codes: [migration]
    rate_limit: { max_per_user: 1 }
  - name: long
    profiles: [long]
    users: [alice]
    reason_codes: [incident]
    max_duration: 24h
  - name: short
    profiles: [short]
    users: [alice]
    reason_codes: [incident]
    max_duration: 10m
admins: [admin]
`;

const policy: Policy = parsePolicy(POLICY);
const loaded = { policy, compiled: compilePolicy(policy), version: 7 };
/** 2025-03-14T09:30:00Z: 9.5 h into a UTC day. */
const NOW = new Date('2025-03-14T09:30:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const MIDNIGHT_S = Date.parse('2025-03-14T00:00:00.000Z') / 1000;
const ID = '0badc0de0123456789abcdef01234567';
const alice = person('alice');
const SETTINGS = { auditRetentionSeconds: 90 * 86_400 };

const request = (overrides: Partial<{ profile: string; reasonCode: string; justification: string; durationSeconds: number }> = {}) => ({
  profile: 'prod',
  reasonCode: 'incident',
  justification: 'the payment queue is stuck',
  ...overrides,
});

function record(overrides: Partial<BreakglassRecord> = {}): BreakglassRecord {
  return {
    id: ID,
    invoker: 'alice',
    invokerPrincipal: 'person/alice',
    invokerArn: alice.arn,
    profile: 'prod',
    reasonCode: 'incident',
    justification: 'the payment queue is stuck',
    durationSeconds: 7200,
    status: 'active',
    createdAt: NOW.toISOString(),
    expiresAt: new Date(NOW.getTime() + 7_200_000).toISOString(),
    rule: 'oncall',
    ttl: NOW_S + 7200 + SETTINGS.auditRetentionSeconds,
    ...overrides,
  };
}

/** A store that records what it is asked and answers as scripted. */
class FakeStore implements BreakglassStore {
  invoked: Array<{ record: BreakglassRecord; guards: InvocationGuards }> = [];
  closes: Array<{ id: string; by: string; asAdmin: boolean; reason: string; now: string }> = [];
  released: string[] = [];
  queries: BreakglassQuery[] = [];
  invokeFails?: Error;
  releaseFails?: Error;
  pages: BreakglassPage[] = [];

  async invoke(event: BreakglassRecord, guards: InvocationGuards): Promise<void> {
    if (this.invokeFails !== undefined) throw this.invokeFails;
    this.invoked.push({ record: event, guards });
  }
  async close(close: { id: string; by: string; asAdmin: boolean; reason: string; now: string }): Promise<BreakglassRecord> {
    this.closes.push(close);
    return record({ status: 'closed', closedAt: close.now, closedBy: close.by, closedReason: close.reason });
  }
  async releaseActive(event: Pick<BreakglassRecord, 'id'>): Promise<void> {
    if (this.releaseFails !== undefined) throw this.releaseFails;
    this.released.push(event.id);
  }
  async list(query: BreakglassQuery): Promise<BreakglassPage> {
    this.queries.push(query);
    return this.pages.shift() ?? { events: [] };
  }
}

/** What `run` throws: the test fails if it returns. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function setup(options: { bootstrapAdmins?: string[]; policy?: Policy } = {}) {
  const store = new FakeStore();
  const lines: Array<{ level: 'info' | 'warn'; message: string; fields: Record<string, unknown> }> = [];
  const current = options.policy === undefined ? loaded : { policy: options.policy, compiled: compilePolicy(options.policy), version: 1 };
  const deps: BreakglassDeps = {
    breakglass: store,
    policies: { current: async () => current },
    bootstrapAdmins: options.bootstrapAdmins ?? [],
    cursors: cursorCodec(cursorKey('a cursor secret of at least 32 characters')),
    settings: SETTINGS,
    randomHex: () => ID,
    log: { info: (message, fields) => void lines.push({ level: 'info', message, fields }), warn: (message, fields) => void lines.push({ level: 'warn', message, fields }) },
  };
  return { store, deps, lines };
}

describe('planInvocation: which rule, how long', () => {
  it('the first rule naming the user, the profile and the code: its max_duration is the default duration', () => {
    const plan = planInvocation(request(), alice, policy, NOW, ID, SETTINGS);
    expect(plan.record).toEqual(record());
    // db: oncall does not list "migration", dba does.
    expect(planInvocation(request({ profile: 'db', reasonCode: 'migration' }), alice, policy, NOW, ID, SETTINGS).record).toMatchObject({ rule: 'dba', durationSeconds: 3600 });
  });

  it('a shorter duration is kept; a longer one than the rule allows is refused', () => {
    expect(planInvocation(request({ durationSeconds: 900 }), alice, policy, NOW, ID, SETTINGS).record).toMatchObject({ durationSeconds: 900, expiresAt: '2025-03-14T09:45:00.000Z' });
    expect(thrown(() => planInvocation(request({ durationSeconds: 7201 }), alice, policy, NOW, ID, SETTINGS))).toMatchObject({ code: 'INVALID_REQUEST', message: 'durationSeconds: break-glass rule "oncall" allows at most 7200 s (2h)' });
  });

  it('never longer than 12 h, whatever the rule says; a rule below 15 minutes cannot be used', () => {
    expect(planInvocation(request({ profile: 'long' }), alice, policy, NOW, ID, SETTINGS).record.durationSeconds).toBe(43_200);
    expect(thrown(() => planInvocation(request({ profile: 'short' }), alice, policy, NOW, ID, SETTINGS))).toMatchObject({ code: 'INVALID_REQUEST', message: 'break-glass rule "short" allows at most 10m, below the 15m credentials last at least: no event could be used' });
  });

  it('refuses users and profiles no rule names alike (the words never tell whether the profile exists)', () => {
    const carol = person('carol');
    expect(thrown(() => planInvocation(request(), carol, policy, NOW, ID, SETTINGS))).toMatchObject({ code: 'POLICY_DENY', message: 'no break-glass rule lets "carol" break glass for profile "prod"' });
    expect(thrown(() => planInvocation(request({ profile: 'hidden' }), alice, policy, NOW, ID, SETTINGS))).toMatchObject({ code: 'POLICY_DENY', message: 'no break-glass rule lets "alice" break glass for profile "hidden"' });
    expect(thrown(() => planInvocation(request({ profile: 'nonexistent' }), alice, policy, NOW, ID, SETTINGS))).toMatchObject({ code: 'POLICY_DENY', message: 'no break-glass rule lets "alice" break glass for profile "nonexistent"' });
  });

  it('a reason code the rules do not list: names the codes of every rule the caller could use', () => {
    expect(thrown(() => planInvocation(request({ profile: 'db', reasonCode: 'curiosity' }), alice, policy, NOW, ID, SETTINGS))).toMatchObject({ code: 'INVALID_REQUEST', message: 'reason code "curiosity" is not one of break-glass rule "oncall"\'s: use one of "incident", "security", "migration"' });
  });

  it('a rule naming a profile the document does not define (original format) is UNKNOWN_PROFILE', () => {
    const original = parsePolicy('version: "1"\nrules: []\nbreakglass:\n  - name: bg\n    profiles: [prod]\n    users: [alice]\n    reason_codes: [incident]\n');
    expect(thrown(() => planInvocation(request(), alice, original, NOW, ID, SETTINGS))).toMatchObject({ code: 'UNKNOWN_PROFILE', message: 'no profile "prod" in the policy' });
  });
});

describe('planInvocation: the guards', () => {
  it('per principal, fixed windows aligned to the epoch (24 h: UTC midnight), the cooldown cutoff, the ttls', () => {
    const { guards } = planInvocation(request(), alice, policy, NOW, ID, SETTINGS);
    expect(guards).toEqual({
      principal: 'person/alice',
      profile: 'prod',
      rule: 'oncall',
      now: NOW.toISOString(),
      activeUntil: '2025-03-14T11:30:00.000Z',
      cooldownSeconds: 1800,
      cooldownCutoff: '2025-03-14T09:00:00.000Z',
      perUser: { limit: 3, seconds: 86_400, start: MIDNIGHT_S },
      perProfile: { limit: 10, seconds: 86_400, start: MIDNIGHT_S },
      // After both the event (2 h) and the cooldown (30 m) are over, plus a day.
      guardTtl: NOW_S + 7200 + 86_400,
    });
  });

  it('a role\'s sessions share the role\'s principal', () => {
    const ci: Caller = { user: 'role:deploy/ci-42', arn: 'arn:aws:sts::000000000000:assumed-role/deploy/ci-42', accountId: '000000000000', kind: 'role', principal: '000000000000:role/deploy' };
    const rule = parsePolicy(POLICY.replace('users: [alice, bob]', 'users: [alice, bob, "role:deploy/ci-42"]'));
    expect(planInvocation(request(), ci, rule, NOW, ID, SETTINGS).guards.principal).toBe('000000000000:role/deploy');
  });

  it('only the limits the rule sets; a quota without a window counts per 24 h', () => {
    const { guards } = planInvocation(request({ profile: 'db', reasonCode: 'migration' }), alice, policy, NOW, ID, SETTINGS);
    expect(guards).not.toHaveProperty('cooldownCutoff');
    expect(guards).not.toHaveProperty('perProfile');
    expect(guards.perUser).toEqual({ limit: 1, seconds: DEFAULT_QUOTA_WINDOW_SECONDS, start: MIDNIGHT_S });
    expect(planInvocation(request({ profile: 'long' }), alice, policy, NOW, ID, SETTINGS).guards).not.toHaveProperty('perUser');
  });

  it('fixedWindow: the window holding the time, whatever the time of the first invocation', () => {
    expect(fixedWindow(3599, 3600, 2)).toEqual({ limit: 2, seconds: 3600, start: 0 });
    expect(fixedWindow(3600, 3600, 2)).toEqual({ limit: 2, seconds: 3600, start: 3600 });
    expect(fixedWindow(NOW_S, 1800, 1).start).toBe(NOW_S);
  });
});

describe('BreakglassRefusedError: the words and the status of a refusal', () => {
  const { guards } = planInvocation(request(), alice, policy, NOW, ID, SETTINGS);

  it('an active event: CONFLICT, naming it and until when', () => {
    const error = new BreakglassRefusedError([{ kind: 'active', activeUntil: '2025-03-14T10:00:00.000Z', activeId: ID }], guards);
    expect(error).toMatchObject({
      code: 'CONFLICT',
      message: `break-glass refused: an active break-glass exists for you and profile "prod" until 2025-03-14T10:00:00.000Z (event ${ID}): use it, or close it before invoking another`,
      retryAfterSeconds: undefined,
    });
  });

  it('cooldown and quota together: RATE_LIMITED, both named, Retry-After when both have cleared', () => {
    const error = new BreakglassRefusedError([{ kind: 'cooldown', lastAt: '2025-03-14T09:20:00.000Z' }, { kind: 'perUser', count: 3 }], guards);
    expect(error).toMatchObject({
      code: 'RATE_LIMITED',
      message:
        'break-glass refused: break-glass for profile "prod" has a cooldown of 30m (rule "oncall"): your last one started at 2025-03-14T09:20:00.000Z, the next may start at 2025-03-14T09:50:00.000Z; ' +
        'at most 3 break-glass invocations by you per 24h window (rule "oncall"; fixed windows, the next starts at 2025-03-15T00:00:00.000Z)',
      // The window rolls over at midnight, 14.5 h away; the cooldown ends in 20 minutes.
      retryAfterSeconds: 14.5 * 3600,
    });
    expect(new BreakglassRefusedError([{ kind: 'cooldown', lastAt: '2025-03-14T09:20:00.000Z' }], guards).retryAfterSeconds).toBe(1200);
  });
});

describe('invokeBreakglass', () => {
  it('writes the event with its guards, answers the view, and logs a WARN line an alarm matches', async () => {
    const { store, deps, lines } = setup();
    const event = await invokeBreakglass(request(), alice, NOW, deps);
    expect(event).toEqual({
      id: ID,
      invoker: 'alice',
      profile: 'prod',
      reasonCode: 'incident',
      justification: 'the payment queue is stuck',
      durationSeconds: 7200,
      status: 'active',
      createdAt: NOW.toISOString(),
      expiresAt: '2025-03-14T11:30:00.000Z',
      rule: 'oncall',
    });
    expect(store.invoked).toHaveLength(1);
    expect(lines).toEqual([
      {
        level: 'warn',
        message: 'break-glass invoked',
        fields: {
          alert: 'SentinelBreakglassInvoked',
          eventId: ID,
          invoker: 'alice',
          principal: 'person/alice',
          callerArn: alice.arn,
          profile: 'prod',
          rule: 'oncall',
          reasonCode: 'incident',
          justification: 'the payment queue is stuck',
          durationSeconds: 7200,
          expiresAt: '2025-03-14T11:30:00.000Z',
          policyVersion: 7,
        },
      },
    ]);
  });

  it('a refusal (policy or quota) is logged with its own alert; a dependency failure is not a refusal', async () => {
    const { store, deps, lines } = setup();
    expect(await caught(invokeBreakglass(request(), person('mallory'), NOW, deps))).toMatchObject({ code: 'POLICY_DENY' });
    store.invokeFails = new BreakglassRefusedError([{ kind: 'perProfile', count: 10 }], planInvocation(request(), alice, policy, NOW, ID, SETTINGS).guards);
    expect(await caught(invokeBreakglass(request(), alice, NOW, deps))).toMatchObject({ code: 'RATE_LIMITED' });
    store.invokeFails = new UnavailableError('the break-glass store is unavailable');
    expect(await caught(invokeBreakglass(request(), alice, NOW, deps))).toMatchObject({ code: 'UNAVAILABLE' });
    expect(lines.map((line) => [line.level, line.message, line.fields.alert, line.fields.code])).toEqual([
      ['info', 'break-glass refused', 'SentinelBreakglassRefused', 'POLICY_DENY'],
      ['info', 'break-glass refused', 'SentinelBreakglassRefused', 'RATE_LIMITED'],
    ]);
  });
});

describe('closeBreakglass', () => {
  it('the invoker closes as themselves; an admin as admin; the guard is released', async () => {
    const { store, deps, lines } = setup();
    const closed = await closeBreakglass(ID, { reason: 'fixed' }, alice, NOW, deps);
    expect(closed).toMatchObject({ id: ID, status: 'closed', closedBy: 'alice', closedReason: 'fixed', closedAt: NOW.toISOString() });
    await closeBreakglass(ID, { reason: 'over' }, person('admin'), NOW, deps);
    expect(store.closes.map((close) => [close.by, close.asAdmin])).toEqual([
      ['alice', false],
      ['admin', true],
    ]);
    expect(store.released).toEqual([ID, ID]);
    expect(lines.map((line) => [line.level, line.fields.alert, line.fields.closedBy, line.fields.byAdmin])).toEqual([
      ['info', 'SentinelBreakglassClosed', 'alice', false],
      ['info', 'SentinelBreakglassClosed', 'admin', true],
    ]);
  });

  it('bootstrap admins are admins only while the policy names none', async () => {
    const { store, deps } = setup({ bootstrapAdmins: ['ops'] });
    await closeBreakglass(ID, { reason: 'x' }, person('ops'), NOW, deps);
    const { store: noAdmins, deps: bootstrapDeps } = setup({ bootstrapAdmins: ['ops'], policy: parsePolicy(POLICY.replace('admins: [admin]', '')) });
    await closeBreakglass(ID, { reason: 'x' }, person('ops'), NOW, bootstrapDeps);
    expect([store.closes[0]?.asAdmin, noAdmins.closes[0]?.asAdmin]).toEqual([false, true]);
  });

  it('a guard that cannot be released leaves the event closed, with a WARN line', async () => {
    const { store, deps, lines } = setup();
    store.releaseFails = new UnavailableError('the break-glass store is unavailable');
    expect((await closeBreakglass(ID, { reason: 'fixed' }, alice, NOW, deps)).status).toBe('closed');
    expect(lines[1]).toMatchObject({ level: 'warn', fields: { eventId: ID, guardUntil: '2025-03-14T11:30:00.000Z', error: store.releaseFails } });
  });
});

describe('listBreakglass', () => {
  it('mine: by-invoker with the caller\'s own name, profile and status filters, 50 a page', async () => {
    const { store, deps } = setup();
    store.pages = [{ events: [record(), record({ id: 'f'.repeat(32), status: 'active', expiresAt: '2025-03-14T09:00:00.000Z' })] }];
    const page = await listBreakglass({ profile: 'prod', status: 'active' }, alice, NOW, deps);
    expect(store.queries).toEqual([{ index: 'by-invoker', key: 'alice', status: 'active', profile: 'prod', limit: 50, now: NOW.toISOString() }]);
    // Effective status: an active event past its expiry reads as expired.
    expect(page.events.map((event) => event.status)).toEqual(['active', 'expired']);
    expect(page).not.toHaveProperty('cursor');
  });

  it('all: admins, by profile; others NOT_ADMIN; no profile would be a Scan', async () => {
    const { store, deps } = setup();
    await listBreakglass({ scope: 'all', profile: 'prod', limit: 10 }, person('admin'), NOW, deps);
    expect(store.queries).toEqual([{ index: 'by-profile', key: 'prod', limit: 10, now: NOW.toISOString() }]);
    expect(await caught(listBreakglass({ scope: 'all', profile: 'prod' }, alice, NOW, deps))).toMatchObject({ code: 'NOT_ADMIN', message: 'only admins may list every break-glass event; "alice" is not in the policy\'s admins' });
    expect(await caught(listBreakglass({ scope: 'all' }, person('admin'), NOW, deps))).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('cursors are sealed for the listing and the caller, and open only for the same', async () => {
    const { store, deps } = setup();
    store.pages = [{ events: [record()], next: { id: ID, invoker: 'alice', created_at: NOW.toISOString() } }];
    const { cursor } = await listBreakglass({}, alice, NOW, deps);
    expect(cursor).toEqual(expect.any(String));
    await listBreakglass({ cursor: cursor as string }, alice, NOW, deps);
    expect(store.queries[1]?.startKey).toEqual({ id: ID, invoker: 'alice', created_at: NOW.toISOString() });
    expect(await caught(listBreakglass({ cursor: cursor as string }, person('bob'), NOW, deps))).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await caught(listBreakglass({ cursor: cursor as string, status: 'closed' }, alice, NOW, deps))).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('breakglassGrants', () => {
  it('reads the user\'s active events for the profile from 12 h back, every page, as grants', async () => {
    const store = new FakeStore();
    store.pages = [{ events: [record()], next: { id: ID } }, { events: [record({ id: 'e'.repeat(32), expiresAt: '2025-03-14T10:00:00.000Z' })] }];
    const grants = await breakglassGrants(store).activeGrants({ user: 'alice', profile: 'prod', now: NOW });
    expect(grants).toEqual([
      { kind: 'breakglass', id: ID, endsAt: new Date('2025-03-14T11:30:00.000Z') },
      { kind: 'breakglass', id: 'e'.repeat(32), endsAt: new Date('2025-03-14T10:00:00.000Z') },
    ]);
    expect(store.queries[0]).toEqual({ index: 'by-invoker', key: 'alice', profile: 'prod', status: 'active', since: '2025-03-13T21:30:00.000Z', limit: 100, now: NOW.toISOString() });
    expect(store.queries[1]?.startKey).toEqual({ id: ID });
  });
});
