/**
 * Session listings at scale on DynamoDB Local: 5,000 sessions of four users over three
 * profiles, every status a session can have, listed through `listSessions` (what
 * `GET /v1/sessions` runs). Each listing is compared with the sessions the test wrote,
 * selected here independently of the store; every command the store sends is recorded
 * on the application's own client, and each must be a Query on `by-user` or
 * `by-profile`.
 */

import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ListSessionsQuery, SessionView } from '../../src/api/contract.js';
import { createDynamoClients } from '../../src/aws/dynamodb.js';
import { DynamoSessionStore } from '../../src/sessions/DynamoSessionStore.js';
import { cursorCodec, cursorKey } from '../../src/sessions/cursor.js';
import { listSessions } from '../../src/sessions/manage.js';
import type { SessionAdminDeps } from '../../src/sessions/manage.js';
import type { SessionRecord, SessionStatus } from '../../src/sessions/types.js';
import { person } from '../support/callers.js';
import { caught } from '../support/caught.js';
import { createTestTable, dynamodbEndpoint, testClients } from './dynamodb.js';

const NOW = new Date('2026-11-18T12:00:00.000Z');
const AT = NOW.toISOString();
const TOTAL = 5_000;
/** DynamoDB Local's TTL deletes items whose `ttl` has passed: 90 days from the real now. */
const TTL = Math.floor(Date.now() / 1000) + 90 * 86_400;
const ALTERED = 'the cursor has expired or was altered: list again';
const OTHER_LISTING = 'the cursor belongs to another listing (other parameters or another caller): send the same parameters, or list again without it';

/** Out of every ten sessions: four alice's (2,000), three bob's (1,500), two carol's (1,000), one dave's (500). */
const OWNERS = ['alice', 'alice', 'alice', 'alice', 'bob', 'bob', 'bob', 'carol', 'carol', 'dave'] as const;
const PROFILES = ['prod', 'dev', 'staging'] as const;

/** Mulberry32: the statuses come from a fixed seed, so every run lists the same table. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const minutes = (count: number): string => new Date(NOW.getTime() + count * 60_000).toISOString();

/**
 * Session `n`: owner and profile by position, a creation time 13 s after the previous
 * one (some pairs of one owner and profile share it, as two sessions made in the same
 * millisecond do), a status drawn from the seed with the attributes that status carries.
 */
function session(n: number, draw: () => number): SessionRecord {
  const user = OWNERS[n % 10] as string;
  const profile = PROFILES[Math.floor(n / 10) % 3] as string;
  // n % 40 of 1, 5 and 8 is the same owner and profile as n - 1: created in the same millisecond.
  const slot = [1, 5, 8].includes(n % 40) ? n - 1 : n;
  const createdAt = new Date(NOW.getTime() - (TOTAL - slot) * 13_000).toISOString();
  const base: SessionRecord = {
    id: `5ca1e${n.toString(16).padStart(27, '0')}`,
    user,
    callerArn: `arn:aws:sts::000000000000:assumed-role/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468/${user}`,
    accountId: '000000000000',
    profile,
    roleArn: `arn:aws:iam::111122223333:role/sentinel-${profile}`,
    mode: n % 3 === 0 ? 'cli' : 'server',
    status: 'active',
    sourceIdentity: `sentinel.${user}.direct.${n.toString(16).padStart(8, '0')}`,
    createdAt,
    lastAccessAt: createdAt,
    expiresAt: minutes(30),
    requestCount: 1 + (n % 17),
    ttl: TTL,
  };
  const roll = draw();
  if (roll < 0.5) return base;
  // Still `active` in the table, its credentials expired: reads as `expired` before any sweep.
  if (roll < 0.62) return { ...base, expiresAt: minutes(-5 - (n % 50)) };
  if (roll < 0.77) return { ...base, status: 'revoked', revokedBy: 'admin', revokedReason: 'laptop lost', revokedAt: minutes(-1), expiresAt: minutes(n % 2 === 0 ? 20 : -20) };
  if (roll < 0.88) return { ...base, status: 'ended', endedAt: minutes(-2), expiresAt: minutes(-3) };
  if (roll < 0.93) return { ...base, status: 'expired', expiresAt: minutes(-40) };
  if (roll < 0.96) return { ...base, status: 'failed', expiresAt: minutes(-50) };
  // Being issued right now, or left `pending` by an issuance that never finished (reads `failed`).
  return { ...base, status: 'pending', expiresAt: minutes(roll < 0.98 ? 10 : -10) };
}

/** The item as DynamoSessionStore writes it (snake_case; `active_user` only while active). Checked against the store below. */
function itemOf(record: SessionRecord): Record<string, unknown> {
  return {
    id: record.id,
    user: record.user,
    caller_arn: record.callerArn,
    account_id: record.accountId,
    profile: record.profile,
    role_arn: record.roleArn,
    mode: record.mode,
    status: record.status,
    source_identity: record.sourceIdentity,
    created_at: record.createdAt,
    last_access_at: record.lastAccessAt,
    expires_at: record.expiresAt,
    request_count: record.requestCount,
    ttl: record.ttl,
    ...(record.status === 'active' ? { active_user: record.user } : {}),
    ...(record.revokedBy === undefined ? {} : { revoked_by: record.revokedBy }),
    ...(record.revokedReason === undefined ? {} : { revoked_reason: record.revokedReason }),
    ...(record.revokedAt === undefined ? {} : { revoked_at: record.revokedAt }),
    ...(record.endedAt === undefined ? {} : { ended_at: record.endedAt }),
  };
}

/** The status a reader sees at NOW, written out here rather than taken from src: past its expiry, active is expired and pending failed. */
function seenAs(record: SessionRecord): SessionStatus {
  if (record.expiresAt > AT) return record.status;
  if (record.status === 'active') return 'expired';
  if (record.status === 'pending') return 'failed';
  return record.status;
}

const draw = random(12);
const written = Array.from({ length: TOTAL }, (_, n) => session(n, draw));
const byId = new Map(written.map((record) => [record.id, record]));

let table: string;
let deps: SessionAdminDeps;
/** Every command the store sent: name, table, index. */
const sent: Array<{ command: string; table: unknown; index: unknown }> = [];

type PutRequest = { PutRequest: { Item: Record<string, unknown> } };

/** One BatchWriteItem of up to 25 puts, sent again with whatever DynamoDB Local left unprocessed. */
async function batchWrite(items: Array<Record<string, unknown>>): Promise<void> {
  let requests: PutRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; requests.length > 0; attempt += 1) {
    if (attempt > 10) throw new Error(`DynamoDB Local left ${requests.length} writes unprocessed`);
    const output = await testClients().documents.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
    requests = (output.UnprocessedItems?.[table] ?? []) as PutRequest[];
  }
}

beforeAll(async () => {
  table = await createTestTable('sessions');
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let start = 0; start < TOTAL; start += 25) batches.push(written.slice(start, start + 25).map(itemOf));
  // A few batches at a time: DynamoDB Local on a 2-core machine copes, and the table fills in seconds.
  for (let next = 0; next < batches.length; next += 8) await Promise.all(batches.slice(next, next + 8).map(batchWrite));

  // The store on the application's own client (src/aws/dynamodb.ts), a client of its own so that only its commands are recorded.
  const app = createDynamoClients({ region: 'us-east-1', endpoint: dynamodbEndpoint(), credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  app.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: unknown; IndexName?: unknown };
      sent.push({ command: String(context.commandName), table: input.TableName, index: input.IndexName });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  deps = {
    sessions: new DynamoSessionStore(app.documents),
    sessionTables: { isSessionsTable: async () => true },
    settings: { tablePrefix: 'sentinel-', defaultSessionTable: table },
    cursors: cursorCodec(cursorKey(undefined)),
  };
}, 60_000);

interface Walk {
  views: SessionView[];
  pages: number[];
}

/** Every page of one listing, following its cursors to the end. */
async function walk(query: ListSessionsQuery, user: string, admin: boolean): Promise<Walk> {
  const views: SessionView[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await listSessions({ ...query, ...(cursor === undefined ? {} : { cursor }) }, person(user), admin, NOW, deps);
    views.push(...page.sessions);
    pages.push(page.sessions.length);
    cursor = page.cursor;
    if (pages.length > TOTAL) throw new Error('the listing never ended');
  } while (cursor !== undefined);
  return { views, pages };
}

/**
 * The walk returned exactly `expected`: each once, newest first, each as the API shows it
 * (the record, its table, the status it reads as at NOW); no page over `limit`.
 */
function expectListing(result: Walk, expected: readonly SessionRecord[], limit: number): void {
  const ids = result.views.map((view) => view.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(expected.map((record) => record.id).sort());
  const created = result.views.map((view) => view.createdAt);
  expect(created).toEqual([...created].sort().reverse());
  for (const view of result.views) {
    const record = byId.get(view.id) as SessionRecord;
    expect(view).toEqual({ ...record, table, status: seenAs(record) });
  }
  expect(Math.max(...result.pages)).toBeLessThanOrEqual(limit);
}

const of = (predicate: (record: SessionRecord) => boolean): SessionRecord[] => written.filter(predicate);

describe('5,000 sessions listed through listSessions on DynamoDB Local', () => {
  it('writes the items as DynamoSessionStore does (create, markIssued, revoke, end)', async () => {
    // On the test clients, for a user and a profile of their own, so nothing here is recorded or listed below.
    const store = new DynamoSessionStore(testClients().documents);
    const read = async (id: string) => (await testClients().documents.send(new GetCommand({ TableName: table, Key: { id }, ConsistentRead: true }))).Item;
    // Session 0 as drawn with the lowest roll: active, nothing revoked or ended about it.
    const record: SessionRecord = { ...session(0, () => 0), id: 'shape0000000000000000000000000000', user: 'erin', profile: 'shape-check', requestCount: 1 };
    await store.create(table, record);
    expect(await read(record.id)).toEqual(itemOf({ ...record, status: 'pending' }));
    await store.markIssued(table, record.id, { user: record.user, expiresAt: record.expiresAt, ttl: record.ttl });
    expect(await read(record.id)).toEqual(itemOf(record));
    await store.revoke(table, { id: record.id, by: 'admin', reason: 'laptop lost', now: minutes(-1) });
    expect(await read(record.id)).toEqual(itemOf({ ...record, status: 'revoked', revokedBy: 'admin', revokedReason: 'laptop lost', revokedAt: minutes(-1) }));

    const ended: SessionRecord = { ...record, id: 'shape0000000000000000000000000001' };
    await store.create(table, ended);
    await store.markIssued(table, ended.id, { user: ended.user, expiresAt: ended.expiresAt, ttl: ended.ttl });
    await store.end(table, { id: ended.id, user: ended.user, now: minutes(-2) });
    expect(await read(ended.id)).toEqual(itemOf({ ...ended, status: 'ended', endedAt: minutes(-2) }));
  });

  it("pages through alice's 2,000 sessions: each exactly once, newest first, at 100 and at the default 50 a page", async () => {
    const alice = of((record) => record.user === 'alice');
    expect(alice).toHaveLength(2_000);
    const full = await walk({ limit: 100 }, 'alice', false);
    expectListing(full, alice, 100);
    // Unfiltered pages are full until the end (DynamoDB may answer one empty page last).
    expect(full.pages.slice(0, 20)).toEqual(Array.from({ length: 20 }, () => 100));
    const byDefault = await walk({}, 'alice', false);
    expectListing(byDefault, alice, 50);
    expect(byDefault.pages.filter((size) => size === 50)).toHaveLength(40);
  });

  it('keeps each session once across pages that split sessions created in the same millisecond', async () => {
    // Seven a page puts page boundaries between some of carol's same-millisecond pairs.
    const carol = of((record) => record.user === 'carol');
    const result = await walk({ limit: 7 }, 'carol', false);
    expectListing(result, carol, 7);
    // Not vacuous: at least one page ends on the first of two sessions created in the same millisecond.
    const split = result.views.filter((view, i) => i > 0 && i % 7 === 0 && result.views[i - 1]?.createdAt === view.createdAt);
    expect(split.length).toBeGreaterThan(0);
  });

  it('filters on the effective status: expired is also active past expires_at, failed also pending past it', async () => {
    for (const status of ['active', 'expired', 'revoked', 'ended', 'failed', 'pending'] as const) {
      const expected = of((record) => record.user === 'alice' && seenAs(record) === status);
      expect(expected.length, status).toBeGreaterThan(0);
      const result = await walk({ status, limit: 100 }, 'alice', false);
      expectListing(result, expected, 100);
      expect(result.views.every((view) => view.status === status)).toBe(true);
    }
    // Both kinds of expired are there: the sweep's and the still-active ones.
    const expired = of((record) => record.user === 'alice' && seenAs(record) === 'expired');
    expect(new Set(expired.map((record) => record.status))).toEqual(new Set(['active', 'expired']));
  });

  it('filters on profile within a user, and on since (inclusive, any offset), alone and combined', async () => {
    expectListing(await walk({ profile: 'dev', limit: 100 }, 'bob', false), of((record) => record.user === 'bob' && record.profile === 'dev'), 100);

    // The creation time of one of alice's sessions, written with a +02:00 offset: that session is in.
    const boundary = (written.find((record) => record.user === 'alice' && record.createdAt >= minutes(-6 * 60)) as SessionRecord).createdAt;
    const since = new Date(Date.parse(boundary) + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    expect(Date.parse(since)).toBe(Date.parse(boundary));
    const recent = of((record) => record.user === 'alice' && record.createdAt >= boundary);
    expect(recent.length).toBeGreaterThan(100);
    expectListing(await walk({ since, limit: 50 }, 'alice', false), recent, 50);

    const combined = of((record) => record.user === 'alice' && record.profile === 'prod' && record.createdAt >= boundary && seenAs(record) === 'expired');
    expect(combined.length).toBeGreaterThan(0);
    expectListing(await walk({ since, profile: 'prod', status: 'expired', limit: 10 }, 'alice', false), combined, 10);
  });

  it('lists by profile for an admin, across users, with and without filters', async () => {
    const staging = of((record) => record.profile === 'staging');
    expect(new Set(staging.map((record) => record.user))).toEqual(new Set(['alice', 'bob', 'carol', 'dave']));
    expectListing(await walk({ profile: 'staging', limit: 100 }, 'admin', true), staging, 100);
    expectListing(await walk({ profile: 'prod', status: 'revoked', limit: 100 }, 'admin', true), of((record) => record.profile === 'prod' && seenAs(record) === 'revoked'), 100);
    // An admin naming a user reads that user's sessions, the profile then filters.
    expectListing(await walk({ user: 'dave', profile: 'dev', limit: 100 }, 'admin', true), of((record) => record.user === 'dave' && record.profile === 'dev'), 100);
  });

  it('shows a non-admin only their own sessions; naming another user is NOT_ADMIN, naming nobody as an admin is refused', async () => {
    expectListing(await walk({ status: 'ended', limit: 100 }, 'carol', false), of((record) => record.user === 'carol' && seenAs(record) === 'ended'), 100);
    // A profile alone is not a by-profile listing for a non-admin: still only their own sessions.
    expectListing(await walk({ profile: 'prod', limit: 100 }, 'dave', false), of((record) => record.user === 'dave' && record.profile === 'prod'), 100);
    expectListing(await walk({ user: 'dave', status: 'pending', limit: 100 }, 'dave', false), of((record) => record.user === 'dave' && seenAs(record) === 'pending'), 100);

    const before = sent.length;
    const refusal = await caught(listSessions({ user: 'alice' }, person('carol'), false, NOW, deps));
    expect(refusal).toMatchObject({ code: 'NOT_ADMIN', message: 'only admins may list the sessions of other users; "carol" is not in the policy\'s admins' });
    expect((await caught(listSessions({ user: 'alice', profile: 'prod' }, person('carol'), false, NOW, deps))).code).toBe('NOT_ADMIN');
    expect((await caught(listSessions({ status: 'active' }, person('admin'), true, NOW, deps))).code).toBe('INVALID_REQUEST');
    // Refused before DynamoDB is asked anything.
    expect(sent.length).toBe(before);
  });

  it('refuses a forged, altered, foreign or mismatched cursor without reading anything', async () => {
    const first = await listSessions({ status: 'active', limit: 20 }, person('alice'), false, NOW, deps);
    const cursor = first.cursor as string;
    const [payload, signature] = cursor.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { v: number; s: Record<string, unknown>; k: Record<string, unknown> };
    const resealed = (change: (body: typeof decoded) => void): string => {
      const body = structuredClone(decoded);
      change(body);
      return `${Buffer.from(JSON.stringify(body)).toString('base64url')}.${signature}`;
    };
    // A continuation with the same parameters is accepted (the control case).
    const second = await listSessions({ status: 'active', limit: 20, cursor }, person('alice'), false, NOW, deps);
    expect(second.sessions.map((view) => view.id)).not.toContain(first.sessions[0]?.id);

    const before = sent.length;
    const refusals: Array<[string, () => Promise<unknown>, string]> = [
      ['garbage', () => listSessions({ status: 'active', limit: 20, cursor: 'not-a-cursor' }, person('alice'), false, NOW, deps), ALTERED],
      ['forged signature', () => listSessions({ status: 'active', limit: 20, cursor: `${payload}.${'A'.repeat(43)}` }, person('alice'), false, NOW, deps), ALTERED],
      ['extra part', () => listSessions({ status: 'active', limit: 20, cursor: `${cursor}.x` }, person('alice'), false, NOW, deps), ALTERED],
      ['start key moved', () => listSessions({ status: 'active', limit: 20, cursor: resealed((body) => (body.k.created_at = minutes(1))) }, person('alice'), false, NOW, deps), ALTERED],
      ['scope rewritten for bob', () => listSessions({ status: 'active', limit: 20, cursor: resealed((body) => Object.assign(body.s, { caller: 'bob', key: 'bob' })) }, person('bob'), false, NOW, deps), ALTERED],
      ['another caller', () => listSessions({ status: 'active', limit: 20, cursor }, person('bob'), false, NOW, deps), OTHER_LISTING],
      ['an admin reusing it for alice', () => listSessions({ user: 'alice', status: 'active', limit: 20, cursor }, person('admin'), true, NOW, deps), OTHER_LISTING],
      ['another status', () => listSessions({ status: 'revoked', limit: 20, cursor }, person('alice'), false, NOW, deps), OTHER_LISTING],
      ['no status', () => listSessions({ limit: 20, cursor }, person('alice'), false, NOW, deps), OTHER_LISTING],
      ['a profile added', () => listSessions({ status: 'active', profile: 'prod', limit: 20, cursor }, person('alice'), false, NOW, deps), OTHER_LISTING],
      ['since added', () => listSessions({ status: 'active', since: minutes(-60), limit: 20, cursor }, person('alice'), false, NOW, deps), OTHER_LISTING],
      ['another limit', () => listSessions({ status: 'active', limit: 21, cursor }, person('alice'), false, NOW, deps), OTHER_LISTING],
      ['another table', () => listSessions({ status: 'active', limit: 20, cursor, sessionTable: 'sentinel-test-sessions-elsewhere' }, person('alice'), false, NOW, deps), OTHER_LISTING],
      ['a bulk revocation cursor', () => listSessions({ limit: 20, cursor: deps.cursors.seal({ op: 'revoke', caller: 'alice', table, index: 'by-user', key: 'alice' }, decoded.k) }, person('alice'), false, NOW, deps), OTHER_LISTING],
      ['another instance', () => listSessions({ status: 'active', limit: 20, cursor }, person('alice'), false, NOW, { ...deps, cursors: cursorCodec(cursorKey(undefined)) }), ALTERED],
    ];
    for (const [what, attempt, message] of refusals) {
      expect(await caught(attempt()), what).toMatchObject({ code: 'INVALID_REQUEST', message });
    }
    expect(sent.length).toBe(before);
  });

  // Last in the file: it looks at what every listing above sent.
  it('sent only Queries on by-user or by-profile of the session table, never a Scan', () => {
    expect(sent.length).toBeGreaterThan(100);
    const kinds = new Set(sent.map((command) => `${command.command} ${String(command.index)} ${String(command.table)}`));
    expect([...kinds].sort()).toEqual([`QueryCommand by-profile ${table}`, `QueryCommand by-user ${table}`]);
  });
});
