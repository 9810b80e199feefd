/**
 * Break-glass against DynamoDB Local: the whole lifecycle (invoke, list, close, expire),
 * the quotas under 20 concurrent invocations (exactly the quota succeeds, for
 * max_per_user, max_per_profile, the cooldown and the one active event), counted per
 * principal, who may close, the grants issuance reads, and every command sent counted
 * (never a Scan).
 */

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../src/aws/dynamodb.js';
import { DynamoBreakglassStore, counterKey, guardKey } from '../../src/breakglass/DynamoBreakglassStore.js';
import { breakglassGrants, closeBreakglass, invokeBreakglass, listBreakglass } from '../../src/breakglass/manage.js';
import type { BreakglassDeps } from '../../src/breakglass/manage.js';
import { SentinelError } from '../../src/errors.js';
import type { Caller } from '../../src/identity/types.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { cursorCodec, cursorKey } from '../../src/sessions/cursor.js';
import { person } from '../support/callers.js';
import { caught } from '../support/caught.js';
import { createTestTable, dynamodbEndpoint, testClients } from './dynamodb.js';

const POLICY = `
version: "1"
profiles:
${Array.from({ length: 20 }, (_, n) => `  p${n}:\n    role_arn: arn:aws:iam::111122223333:role/sentinel-p${n}\n`).join('')}  shared:
    role_arn: arn:aws:iam::111122223333:role/sentinel-shared
  solo:
    role_arn: arn:aws:iam::111122223333:role/sentinel-solo
  calm:
    role_arn: arn:aws:iam::111122223333:role/sentinel-calm
  free:
    role_arn: arn:aws:iam::111122223333:role/sentinel-free
rules: []
breakglass:
  - name: per-user
    profiles: [${Array.from({ length: 20 }, (_, n) => `p${n}`).join(', ')}]
    users: [bob, frank, grace, "role:deploy/ci-1", "role:deploy/ci-2"]
    reason_codes: [incident]
    rate_limit: { max_per_user: 3, window: 24h }
  - name: pages
    profiles: [${Array.from({ length: 20 }, (_, n) => `p${n}`).join(', ')}]
    users: [pager]
    reason_codes: [incident]
  - name: per-profile
    profiles: [shared]
    users: [${Array.from({ length: 20 }, (_, n) => `user-${n}`).join(', ')}]
    reason_codes: [incident]
    rate_limit: { max_per_profile: 4, window: 1h }
  - name: solo
    profiles: [solo]
    users: [alice]
    reason_codes: [incident]
  - name: calm
    profiles: [calm]
    users: [alice]
    reason_codes: [incident]
    max_duration: 30m
    rate_limit: { cooldown: 2h }
  - name: free
    profiles: [free]
    users: [alice, bob, carol]
    reason_codes: [incident, security]
    max_duration: 2h
admins: [admin]
`;

/** A role session (`role:deploy/<name>`): the role is the principal, whatever the session is called. */
function roleSession(name: string): Caller {
  return { user: `role:deploy/${name}`, arn: `arn:aws:sts::000000000000:assumed-role/deploy/${name}`, accountId: '000000000000', kind: 'role', principal: '000000000000:role/deploy' };
}

/**
 * 10:00 UTC tomorrow: in the future, because DynamoDB Local's TTL deletes items whose
 * `ttl` has passed; not at the start of a day, so 24 h windows have time left.
 */
const BASE = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000 + 10 * 3_600_000;
/** Each test its own three hours, so events (at most 2 h) of one never meet the next one's. */
let hour = 0;
let NOW: Date;
const later = (seconds: number): Date => new Date(NOW.getTime() + seconds * 1000);

const sent: string[] = [];
let deps: BreakglassDeps;
let eventsTable: string;
let configTable: string;
const logged: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
let serial = 0;

beforeAll(async () => {
  eventsTable = await createTestTable('breakglass');
  configTable = await createTestTable('config');
  // The application's own clients (src/aws/dynamodb.ts), every command recorded.
  const app = createDynamoClients({ region: 'us-east-1', endpoint: dynamodbEndpoint(), credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  app.documents.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  const policy = parsePolicy(POLICY);
  const loaded = { policy, compiled: compilePolicy(policy), version: 3 };
  deps = {
    breakglass: new DynamoBreakglassStore(app.documents, { breakglass: eventsTable, config: configTable }),
    policies: { current: async () => loaded },
    bootstrapAdmins: [],
    cursors: cursorCodec(cursorKey(undefined)),
    settings: { auditRetentionSeconds: 90 * 86_400 },
    // Unique ids whose first 8 digits differ, as random ones would.
    randomHex: () => {
      serial += 1;
      return `${serial.toString(16).padStart(8, '0')}${'0'.repeat(24)}`;
    },
    log: {
      info: (message, fields) => void logged.push({ level: 'info', message, fields }),
      warn: (message, fields) => void logged.push({ level: 'warn', message, fields }),
    },
  };
}, 60_000);

beforeEach(() => {
  hour += 3;
  NOW = new Date(BASE + hour * 3_600_000);
  sent.length = 0;
  logged.length = 0;
});

const invoke = (caller: Caller, profile: string, at = NOW, extra: { reasonCode?: string; durationSeconds?: number } = {}) =>
  invokeBreakglass({ profile, reasonCode: extra.reasonCode ?? 'incident', justification: 'prod is down, paging says so', ...(extra.durationSeconds === undefined ? {} : { durationSeconds: extra.durationSeconds }) }, caller, at, deps);

/** Runs `calls` at once; the successes, and the codes of the refusals. */
async function concurrently(calls: Array<() => Promise<unknown>>): Promise<{ succeeded: number; refused: SentinelError[] }> {
  const results = await Promise.allSettled(calls.map((call) => call()));
  const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as SentinelError] : []));
  for (const reason of refused) expect(reason).toBeInstanceOf(SentinelError);
  return { succeeded: results.filter((result) => result.status === 'fulfilled').length, refused };
}

describe('break-glass lifecycle on DynamoDB Local', () => {
  it('invokes, lists, closes (the invoker), and the guard lets the next one through', async () => {
    const alice = person('alice');
    const event = await invoke(alice, 'free', NOW, { reasonCode: 'security', durationSeconds: 1800 });
    expect(event).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      invoker: 'alice',
      profile: 'free',
      reasonCode: 'security',
      justification: 'prod is down, paging says so',
      durationSeconds: 1800,
      status: 'active',
      createdAt: NOW.toISOString(),
      expiresAt: later(1800).toISOString(),
      rule: 'free',
    });
    // The item as DESIGN.md names it; the ttl keeps the evidence 90 days past the end.
    const { Item } = await testClients().documents.send(new GetCommand({ TableName: eventsTable, Key: { id: event.id } }));
    expect(Item).toEqual({
      id: event.id,
      invoker: 'alice',
      invoker_principal: 'person/alice',
      invoker_arn: alice.arn,
      profile: 'free',
      reason_code: 'security',
      justification: 'prod is down, paging says so',
      duration_s: 1800,
      status: 'active',
      created_at: NOW.toISOString(),
      expires_at: later(1800).toISOString(),
      rule: 'free',
      ttl: Math.ceil(later(1800).getTime() / 1000) + 90 * 86_400,
    });
    expect(logged).toContainEqual({ level: 'warn', message: 'break-glass invoked', fields: expect.objectContaining({ alert: 'SentinelBreakglassInvoked', eventId: event.id, invoker: 'alice', principal: 'person/alice', profile: 'free', reasonCode: 'security', rule: 'free' }) });

    // A second one for the same profile waits until this one ends or is closed.
    const again = await caught(invoke(alice, 'free', later(60)));
    expect(again).toMatchObject({ code: 'CONFLICT', message: `break-glass refused: an active break-glass exists for you and profile "free" until ${event.expiresAt} (event ${event.id}): use it, or close it before invoking another` });

    const mine = await listBreakglass({}, alice, later(60), deps);
    expect(mine.events.map((listed) => [listed.id, listed.status])).toContainEqual([event.id, 'active']);

    const closed = await closeBreakglass(event.id, { reason: 'fixed: the disk was full' }, alice, later(120), deps);
    expect(closed).toMatchObject({ id: event.id, status: 'closed', closedBy: 'alice', closedReason: 'fixed: the disk was full', closedAt: later(120).toISOString() });
    expect(logged).toContainEqual({ level: 'info', message: 'break-glass closed', fields: expect.objectContaining({ alert: 'SentinelBreakglassClosed', eventId: event.id, closedBy: 'alice', byAdmin: false }) });
    const guard = await testClients().documents.send(new GetCommand({ TableName: configTable, Key: guardKey('person/alice', 'free') }));
    expect(guard.Item).not.toHaveProperty('active_until');
    expect(guard.Item).toMatchObject({ last_at: NOW.toISOString() });

    // Closed: no grant any more, and the next invocation is allowed at once (the rule has no cooldown).
    expect(await breakglassGrants(deps.breakglass).activeGrants({ user: 'alice', profile: 'free', now: later(130) })).toEqual([]);
    const next = await invoke(alice, 'free', later(180));
    expect(next.status).toBe('active');
    const closedOnly = await listBreakglass({ status: 'closed' }, alice, later(200), deps);
    expect(closedOnly.events.map((listed) => listed.id)).toContain(event.id);
    expect(closedOnly.events.every((listed) => listed.status === 'closed')).toBe(true);
    expect(new Set(sent)).toEqual(new Set(['TransactWriteItemsCommand', 'QueryCommand', 'UpdateItemCommand']));
  });

  it('closing: an admin may close anyone\'s; someone else is refused; twice is a CONFLICT; expired cannot be closed', async () => {
    const bob = person('bob');
    const event = await invoke(bob, 'free');
    expect(await caught(closeBreakglass(event.id, { reason: 'not yours' }, person('carol'), later(10), deps))).toMatchObject({
      code: 'NOT_OWNER',
      message: `break-glass event ${event.id} belongs to another user: only its invoker or an admin may close it`,
    });
    const closed = await closeBreakglass(event.id, { reason: 'incident over' }, person('admin'), later(20), deps);
    expect(closed).toMatchObject({ status: 'closed', closedBy: 'admin', invoker: 'bob' });
    expect(logged).toContainEqual({ level: 'info', message: 'break-glass closed', fields: expect.objectContaining({ closedBy: 'admin', byAdmin: true, invoker: 'bob' }) });
    expect(await caught(closeBreakglass(event.id, { reason: 'again' }, bob, later(30), deps))).toMatchObject({
      code: 'CONFLICT',
      message: `break-glass event ${event.id} was already closed by admin at ${later(20).toISOString()}: incident over`,
    });
    expect(await caught(closeBreakglass('f'.repeat(32), { reason: 'x' }, bob, later(30), deps))).toMatchObject({ code: 'NOT_FOUND' });

    const lapsed = await invoke(bob, 'free', later(60), { durationSeconds: 900 });
    expect(await caught(closeBreakglass(lapsed.id, { reason: 'late' }, bob, later(60 + 900), deps))).toMatchObject({
      code: 'CONFLICT',
      message: `break-glass event ${lapsed.id} expired at ${lapsed.expiresAt}: nothing to close`,
    });
    const expired = await listBreakglass({ status: 'expired' }, bob, later(60 + 900), deps);
    expect(expired.events.map((listed) => [listed.id, listed.status])).toEqual([[lapsed.id, 'expired']]);
    // The one active event is over once it expires: the guard lets the next one through.
    expect((await invoke(bob, 'free', later(60 + 900))).status).toBe('active');
  });

  it('admins list one profile\'s events of everyone; others only their own; nobody everything', async () => {
    await invoke(person('alice'), 'free');
    await invoke(person('carol'), 'free');
    const all = await listBreakglass({ scope: 'all', profile: 'free', limit: 100 }, person('admin'), later(1), deps);
    expect(new Set(all.events.map((event) => event.invoker))).toEqual(new Set(['alice', 'bob', 'carol']));
    const carols = await listBreakglass({}, person('carol'), later(1), deps);
    expect(carols.events.every((event) => event.invoker === 'carol')).toBe(true);
    expect(await caught(listBreakglass({ scope: 'all', profile: 'free' }, person('carol'), later(1), deps))).toMatchObject({ code: 'NOT_ADMIN' });
    expect(await caught(listBreakglass({ scope: 'all' }, person('admin'), later(1), deps))).toMatchObject({ code: 'INVALID_REQUEST', message: 'with scope=all, name a profile: listing every event would need a Scan of the table' });
  });

  it('pages with authenticated cursors, newest first', async () => {
    const pager = person('pager');
    for (let n = 0; n < 5; n += 1) await invoke(pager, `p${n}`, later(n * 10));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listBreakglass({ limit: 2, ...(cursor === undefined ? {} : { cursor }) }, pager, later(100), deps);
      seen.push(...page.events.map((event) => event.createdAt));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual([40, 30, 20, 10, 0].map((seconds) => later(seconds).toISOString()));
    const first = await listBreakglass({ limit: 1 }, pager, later(100), deps);
    expect(await caught(listBreakglass({ limit: 1, cursor: first.cursor as string }, person('bob'), later(100), deps))).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('grants: the active event of the user for the profile, with its end', async () => {
    const alice = person('alice');
    const event = await invoke(alice, 'solo');
    const grants = breakglassGrants(deps.breakglass);
    expect(await grants.activeGrants({ user: 'alice', profile: 'solo', now: later(5) })).toEqual([{ kind: 'breakglass', id: event.id, endsAt: new Date(event.expiresAt) }]);
    expect(await grants.activeGrants({ user: 'alice', profile: 'free', now: later(5) })).toEqual([]);
    expect(await grants.activeGrants({ user: 'bob', profile: 'solo', now: later(5) })).toEqual([]);
    expect(await grants.activeGrants({ user: 'alice', profile: 'solo', now: new Date(event.expiresAt) })).toEqual([]);
    expect(sent).not.toContain('ScanCommand');
  });
});

describe('break-glass quotas under 20 concurrent invocations', () => {
  it('max_per_user 3: one user breaking glass for 20 profiles at once gets exactly 3', async () => {
    const { succeeded, refused } = await concurrently(Array.from({ length: 20 }, (_, n) => () => invoke(person('bob'), `p${n}`)));
    expect(succeeded).toBe(3);
    expect(refused).toHaveLength(17);
    const windowEnd = (Math.floor(NOW.getTime() / 86_400_000) + 1) * 86_400;
    for (const error of refused) {
      expect(error).toMatchObject({
        code: 'RATE_LIMITED',
        message: `break-glass refused: at most 3 break-glass invocations by you per 24h window (rule "per-user"; fixed windows, the next starts at ${new Date(windowEnd * 1000).toISOString()})`,
        retryAfterSeconds: windowEnd - NOW.getTime() / 1000,
      });
    }
    const counter = await testClients().documents.send(new GetCommand({ TableName: configTable, Key: counterKey('user', 'person/bob', { limit: 3, seconds: 86_400, start: windowEnd - 86_400 }, 'per-user') }));
    expect(counter.Item).toMatchObject({ count: 3, ttl: windowEnd + 86_400 });
    // One transaction per invocation and nothing else: no read before the write, no Scan;
    // each refusal was explained from the items the cancellation returned.
    expect(sent).toEqual(Array<string>(20).fill('TransactWriteItemsCommand'));
  });

  it('max_per_profile 4: twenty users breaking glass for one profile at once get exactly 4', async () => {
    const { succeeded, refused } = await concurrently(Array.from({ length: 20 }, (_, n) => () => invoke(person(`user-${n}`), 'shared')));
    expect(succeeded).toBe(4);
    expect(refused.map((error) => error.code)).toEqual(Array<string>(16).fill('RATE_LIMITED'));
    expect(refused[0]?.message).toMatch(/^break-glass refused: at most 4 break-glass invocations of profile "shared" per 1h window/);
  });

  it('one active event: twenty at once for the same principal and profile, exactly one', async () => {
    const { succeeded, refused } = await concurrently(Array.from({ length: 20 }, () => () => invoke(person('alice'), 'solo')));
    expect(succeeded).toBe(1);
    expect(refused.map((error) => error.code)).toEqual(Array<string>(19).fill('CONFLICT'));
  });

  it('cooldown 2h: after one event (closed), twenty at once are all refused until the cooldown ends, then exactly one passes', async () => {
    const alice = person('alice');
    const first = await invoke(alice, 'calm');
    await closeBreakglass(first.id, { reason: 'done' }, alice, later(60), deps);
    const during = await concurrently(Array.from({ length: 20 }, () => () => invoke(alice, 'calm', later(3600))));
    expect(during.succeeded).toBe(0);
    for (const error of during.refused) {
      expect(error).toMatchObject({
        code: 'RATE_LIMITED',
        message: `break-glass refused: break-glass for profile "calm" has a cooldown of 2h (rule "calm"): your last one started at ${NOW.toISOString()}, the next may start at ${later(7200).toISOString()}`,
        retryAfterSeconds: 3600,
      });
    }
    const after = await concurrently(Array.from({ length: 20 }, () => () => invoke(alice, 'calm', later(7200))));
    expect(after.succeeded).toBe(1);
  });

  it('counts per principal: two users separately, one name under two principals separately; two sessions of one role together', async () => {
    // frank and grace: 3 each of the per-user quota.
    const people = await concurrently([
      ...Array.from({ length: 10 }, (_, n) => () => invoke(person('frank'), `p${n}`)),
      ...Array.from({ length: 10 }, (_, n) => () => invoke(person('grace'), `p${n + 10}`)),
    ]);
    expect(people.succeeded).toBe(6);
    // The same user name under two principals (a caller Sentinel would never name so, made up here): counted apart.
    const elsewhere: Caller = { ...person('frank'), principal: '111111111111:user/frank' };
    const twins = await concurrently(Array.from({ length: 6 }, (_, n) => () => invoke(elsewhere, `p${n}`)));
    expect(twins.succeeded).toBe(3);
    // ci-1 and ci-2 are two users, but one principal (the role deploy): 3 between them.
    const roles = await concurrently(Array.from({ length: 20 }, (_, n) => () => invoke(roleSession(n % 2 === 0 ? 'ci-1' : 'ci-2'), `p${n}`)));
    expect(roles.succeeded).toBe(3);
  });

  it('fixed windows: the quota starts afresh when the window rolls over (epoch-aligned), whatever happened just before', async () => {
    // The last second of a 1 h window of per-profile, then the first of the next.
    const windowStart = Math.floor(NOW.getTime() / 3_600_000) * 3_600_000;
    const lastSecond = new Date(windowStart + 3_599_000);
    const before = await concurrently(Array.from({ length: 6 }, (_, n) => () => invoke(person(`user-${n}`), 'shared', lastSecond)));
    expect(before.succeeded).toBe(4);
    expect(before.refused[0]?.retryAfterSeconds).toBe(1);
    const nextWindow = new Date(windowStart + 3_600_000);
    const after = await concurrently(Array.from({ length: 6 }, (_, n) => () => invoke(person(`user-${n + 6}`), 'shared', nextWindow)));
    expect(after.succeeded).toBe(4);
  });

  it('refuses what no rule allows before writing anything', async () => {
    expect(await caught(invoke(person('mallory'), 'solo'))).toMatchObject({ code: 'POLICY_DENY', message: 'no break-glass rule lets "mallory" break glass for profile "solo"' });
    expect(await caught(invoke(person('alice'), 'free', NOW, { reasonCode: 'boredom' }))).toMatchObject({ code: 'INVALID_REQUEST', message: 'reason code "boredom" is not one of break-glass rule "free"\'s: use one of "incident", "security"' });
    expect(await caught(invoke(person('alice'), 'calm', NOW, { durationSeconds: 3600 }))).toMatchObject({ code: 'INVALID_REQUEST', message: 'durationSeconds: break-glass rule "calm" allows at most 1800 s (30m)' });
    expect(sent).toEqual([]);
    expect(logged.map((line) => line.fields.alert)).toEqual(Array<string>(3).fill('SentinelBreakglassRefused'));
  });
});
