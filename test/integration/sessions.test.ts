/**
 * Listing and revoking sessions against DynamoDB Local: the real indexes, filters and
 * pagination, with every command the store sends counted (never a Scan).
 */

import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/identity/types.js';
import { DynamoSessionStore } from '../../src/sessions/DynamoSessionStore.js';
import { cursorCodec, cursorKey } from '../../src/sessions/cursor.js';
import { MemoryRoleRevoker } from '../../src/local/MemoryRoleRevoker.js';
import { DynamoRevocationLedger } from '../../src/sessions/DynamoRevocationLedger.js';
import { listSessions, revokeSession, revokeSessions } from '../../src/sessions/manage.js';
import type { RevocationDeps } from '../../src/sessions/manage.js';
import { createTestTable, testClients } from './dynamodb.js';

const NOW = new Date('2026-11-18T12:00:00.000Z');
const caller = (user: string): Caller => ({ user, principal: `p-${user}` }) as unknown as Caller;

let table: string;
let deps: RevocationDeps;
let ledger: DynamoRevocationLedger;
const revoker = new MemoryRoleRevoker();
const ROLE = 'arn:aws:iam::111122223333:role/sentinel-prod';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sent: string[] = [];

const id = (n: number) => n.toString(16).padStart(32, '0');
function item(n: number, user: string, profile: string, status: string, expiresAt: string) {
  const createdAt = new Date(NOW.getTime() - (1000 - n) * 60_000).toISOString();
  return {
    id: id(n), user, caller_arn: `arn:aws:iam::000000000000:user/${user}`, account_id: '000000000000', profile, role_arn: 'arn:aws:iam::111122223333:role/sentinel-prod',
    mode: 'server', status, ...(status === 'active' ? { active_user: user } : {}), source_identity: `sentinel.${user}.direct.0a1b2c3d`,
    created_at: createdAt, last_access_at: createdAt, expires_at: expiresAt, request_count: 1, ttl: 1_900_000_000,
  };
}

beforeAll(async () => {
  const { documents } = testClients();
  table = await createTestTable('sessions');
  ledger = new DynamoRevocationLedger(testClients().documents, await createTestTable('config'));
  // A client of its own whose every command is recorded by a middleware.
  const counted = DynamoDBDocumentClient.from(testClients().dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  counted.middlewareStack.add((next, context) => async (args) => {
    sent.push(String(context.commandName));
    return next(args);
  }, { step: 'initialize', name: 'countCommands' });
  const future = '2099-01-01T00:00:00.000Z';
  const past = '2026-11-18T11:00:00.000Z';
  const writes = [];
  for (let n = 0; n < 500; n += 1) {
    const user = n % 2 === 0 ? 'alice' : 'bob';
    // Every 10th revoked, every 7th past expires_at; the rest active.
    const status = n % 10 === 0 ? 'revoked' : 'active';
    writes.push(documents.send(new PutCommand({ TableName: table, Item: item(n, user, n % 4 < 2 ? 'prod' : 'dev', status, n % 7 === 0 ? past : future) })));
  }
  await Promise.all(writes);
  deps = {
    sessions: new DynamoSessionStore(counted),
    sessionTables: { isSessionsTable: async () => true },
    settings: { tablePrefix: 'sentinel-', defaultSessionTable: table },
    cursors: cursorCodec(cursorKey(undefined)),
    ledger,
    revoker,
    log: silent,
  };
}, 60_000);

describe('session listings on DynamoDB Local', () => {
  it('pages through one user\'s 250 sessions newest first, with Queries only', async () => {
    sent.length = 0;
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listSessions({ limit: 100, ...(cursor === undefined ? {} : { cursor }) }, caller('alice'), false, NOW, deps);
      seen.push(...page.sessions.map((session) => session.createdAt));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen).toHaveLength(250);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(new Set(sent)).toEqual(new Set(['QueryCommand']));
  });

  it('filters by effective status: expired includes active sessions past expires_at', async () => {
    const expired = await listSessions({ status: 'expired', limit: 100 }, caller('alice'), false, NOW, deps);
    const expected = Array.from({ length: 500 }, (_, n) => n).filter((n) => n % 2 === 0 && n % 10 !== 0 && n % 7 === 0);
    expect(expired.sessions.map((session) => session.id).sort()).toEqual(expected.map(id).sort());
    expect(expired.sessions.every((session) => session.status === 'expired')).toBe(true);
    const revoked = await listSessions({ status: 'revoked', limit: 100 }, caller('alice'), false, NOW, deps);
    expect(revoked.sessions).toHaveLength(50);
  });

  it('admins list by profile; others only their own', async () => {
    const page = await listSessions({ profile: 'prod', user: 'bob', limit: 100 }, caller('admin'), true, NOW, deps);
    expect(page.sessions.every((session) => session.user === 'bob' && session.profile === 'prod')).toBe(true);
    expect(page.sessions.length).toBeGreaterThan(0);
    const byProfile = await listSessions({ profile: 'dev', limit: 10 }, caller('admin'), true, NOW, deps);
    expect(byProfile.sessions).toHaveLength(10);
    await expect(listSessions({ user: 'alice' }, caller('bob'), false, NOW, deps)).rejects.toMatchObject({ code: 'NOT_ADMIN' });
  });

  it('refuses a forged or altered cursor, and one used by another caller', async () => {
    const page = await listSessions({ limit: 5 }, caller('alice'), false, NOW, deps);
    const cursor = page.cursor as string;
    const [payload, signature] = cursor.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { s: { key: string; caller: string } };
    decoded.s.key = 'bob';
    decoded.s.caller = 'bob';
    const forged = `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`;
    await expect(listSessions({ cursor: forged }, caller('bob'), false, NOW, deps)).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'the cursor has expired or was altered: list again' });
    await expect(listSessions({ cursor, limit: 5 }, caller('bob'), false, NOW, deps)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const otherInstance = { ...deps, cursors: cursorCodec(cursorKey(undefined)) };
    await expect(listSessions({ cursor, limit: 5 }, caller('alice'), false, NOW, otherInstance)).rejects.toMatchObject({ message: 'the cursor has expired or was altered: list again' });
  });
});

describe('revocation on DynamoDB Local', () => {
  it('revoking twice answers the same revocation; an expired session is a CONFLICT', async () => {
    const first = await revokeSession(id(2), { reason: 'laptop stolen' }, caller('admin'), NOW, deps);
    expect(first.session).toMatchObject({ status: 'revoked', revokedBy: 'admin', revokedReason: 'laptop stolen', revokedAt: NOW.toISOString() });
    expect(first.aws).toEqual({ status: 'denied' });
    expect(revoker.denied(ROLE)).toEqual([id(2)]);
    const again = await revokeSession(id(2), { reason: 'other' }, caller('admin2'), new Date(NOW.getTime() + 60_000), deps);
    expect(again.session).toEqual({ ...first.session });
    expect([first.alreadyRevoked, again.alreadyRevoked]).toEqual([false, true]);
    expect(again.aws).toEqual({ status: 'denied' });
    await expect(revokeSession(id(14), { reason: 'x' }, caller('admin'), NOW, deps)).rejects.toMatchObject({ code: 'CONFLICT', message: `session ${id(14)} is expired: only active or pending sessions can be revoked` });
    // The ledger holds the revoked session with its role and expiry, and nothing of the refused one.
    const entries = await ledger.all();
    expect(entries).toEqual([{ sessionId: id(2), sessionTable: table, revokedAt: NOW.toISOString(), aws: 'denied', roleArn: ROLE, expiresAt: '2099-01-01T00:00:00.000Z', attempts: 0 }]);
  });

  it('revokes every active session of a user in batches of 100, then nothing', async () => {
    sent.length = 0;
    let revoked = 0;
    let cursor: string | undefined;
    let calls = 0;
    do {
      const answer = await revokeSessions({ user: 'bob', reason: 'offboarding', ...(cursor === undefined ? {} : { cursor }) }, caller('admin'), NOW, deps);
      expect(answer.revoked).toBeLessThanOrEqual(100);
      revoked += answer.revoked;
      cursor = answer.cursor;
      calls += 1;
    } while (cursor !== undefined);
    const bobActive = Array.from({ length: 500 }, (_, n) => n).filter((n) => n % 2 === 1 && n % 10 !== 0 && n % 7 !== 0).length;
    expect(revoked).toBe(bobActive);
    expect(calls).toBeGreaterThan(1);
    expect(new Set(sent)).toEqual(new Set(['QueryCommand', 'UpdateItemCommand']));
    // Every one of them is denied on the role, and in the ledger with its expiry.
    expect(new Set(revoker.denied(ROLE)).size).toBe(bobActive + 1);
    expect((await ledger.all()).filter((entry) => entry.aws === 'denied')).toHaveLength(bobActive + 1);
    const second = await revokeSessions({ user: 'bob', reason: 'offboarding' }, caller('admin'), NOW, deps);
    expect(second).toEqual({ revoked: 0, skipped: 0, awsPending: 0 });
    const left = await listSessions({ user: 'bob', status: 'active', limit: 100 }, caller('admin'), true, NOW, deps);
    expect(left.sessions).toEqual([]);
  });
});
