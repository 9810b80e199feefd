import { GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../src/aws/dynamodb.js';
import { DynamoSessionStore } from '../../src/sessions/DynamoSessionStore.js';
import type { SessionRecord } from '../../src/sessions/types.js';
import { createTestTable, dynamodbEndpoint, testClients } from './dynamodb.js';
import { caught } from '../support/caught.js';

// The adapters run on the application's own clients (src/aws/dynamodb.ts); the test inspects the table with the shared ones.
const app = createDynamoClients({
  region: 'us-east-1',
  endpoint: dynamodbEndpoint(),
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

const { documents } = testClients();
const store = new DynamoSessionStore(app.documents);
let table: string;

beforeAll(async () => {
  table = await createTestTable('sessions');
});

const NOW = '2025-03-04T10:00:00.000Z';
/**
 * Items' `ttl` a day in the future, whatever the records' 2025 dates: DynamoDB Local's TTL
 * deletes items whose `ttl` has passed, which would make a test lose its item mid-way.
 */
const TTL = Math.floor(Date.now() / 1000) + 86_400;

function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID().replaceAll('-', ''),
    user: 'alice',
    callerArn: 'arn:aws:iam::111122223333:user/alice',
    accountId: '111122223333',
    profile: 'prod',
    roleArn: 'arn:aws:iam::111122223333:role/prod-operator',
    mode: 'server',
    status: 'active',
    sourceIdentity: 'sentinel:alice:direct:0a1b2c3d',
    createdAt: '2025-03-04T09:00:00.000Z',
    lastAccessAt: '2025-03-04T09:00:00.000Z',
    expiresAt: '2025-03-04T10:15:00.000Z',
    requestCount: 1,
    ttl: TTL,
    ...overrides,
  };
}

/** A session as an issuance leaves it once STS answered: written `pending`, then made `active`. */
async function created(overrides: Partial<SessionRecord> = {}): Promise<SessionRecord> {
  const record = await pending(overrides);
  await store.markIssued(table, record.id, { user: record.user, expiresAt: record.expiresAt, ttl: record.ttl });
  return record;
}

/** A session written before STS is called. */
async function pending(overrides: Partial<SessionRecord> = {}): Promise<SessionRecord> {
  const record = session(overrides);
  await store.create(table, record);
  return record;
}

async function rawItem(id: string): Promise<Record<string, unknown> | undefined> {
  return (await documents.send(new GetCommand({ TableName: table, Key: { id }, ConsistentRead: true }))).Item;
}

/** What an admin's revoke does to the item (the revoke adapter is not this module's). */
async function revoke(id: string, reason: string): Promise<Record<string, unknown> | undefined> {
  const output = await documents.send(
    new UpdateCommand({
      TableName: table,
      Key: { id },
      UpdateExpression: 'SET #status = :revoked, revoked_by = :by, revoked_reason = :reason, revoked_at = :at REMOVE active_user',
      // DESIGN.md, Revocation: active or pending → revoked.
      ConditionExpression: '#status IN (:active, :pending)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':revoked': 'revoked', ':by': 'ops-erin', ':reason': reason, ':at': NOW, ':active': 'active', ':pending': 'pending' },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return output.Attributes;
}

async function activeIds(user: string): Promise<string[]> {
  const output = await documents.send(
    new QueryCommand({
      TableName: table,
      IndexName: 'by-active',
      KeyConditionExpression: 'active_user = :user',
      ExpressionAttributeValues: { ':user': user },
    }),
  );
  return (output.Items ?? []).map((item) => String(item.id));
}

describe('DynamoSessionStore on DynamoDB Local', () => {
  it('create writes exactly one item carrying every DESIGN attribute', async () => {
    const own = await createTestTable('sessions');
    const record = session({ user: 'carol', callerArn: 'arn:aws:iam::111122223333:user/carol' });
    await store.create(own, record);
    const items = (await documents.send(new ScanCommand({ TableName: own, ConsistentRead: true }))).Items ?? [];
    expect(items).toEqual([
      {
        id: record.id,
        user: 'carol',
        caller_arn: 'arn:aws:iam::111122223333:user/carol',
        account_id: '111122223333',
        profile: 'prod',
        role_arn: 'arn:aws:iam::111122223333:role/prod-operator',
        mode: 'server',
        // Written before STS answers: pending, and not yet in the sparse active index.
        status: 'pending',
        source_identity: 'sentinel:alice:direct:0a1b2c3d',
        created_at: '2025-03-04T09:00:00.000Z',
        last_access_at: '2025-03-04T09:00:00.000Z',
        expires_at: '2025-03-04T10:15:00.000Z',
        request_count: 1,
        ttl: TTL,
      },
    ]);
    expect(await store.get(own, record.id)).toEqual({ ...record, status: 'pending' });
  });

  it('refuses a duplicate id and leaves the first session untouched (UNAVAILABLE: ids are drawn per request, so it is a late-landing write of its own)', async () => {
    const first = await created();
    const error = await caught(store.create(table, { ...first, user: 'mallory', profile: 'staging' }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(await store.get(table, first.id)).toEqual(first);
  });

  it('refresh bumps request_count and last_access_at', async () => {
    const record = await created();
    const first = await store.refresh(table, { id: record.id, user: 'alice', profile: 'prod', now: NOW });
    expect(first).toEqual({ ...record, requestCount: 2, lastAccessAt: NOW });
    const later = '2025-03-04T10:05:00.000Z';
    const second = await store.refresh(table, { id: record.id, user: 'alice', profile: 'prod', now: later });
    expect(second.requestCount).toBe(3);
    expect(await rawItem(record.id)).toMatchObject({ request_count: 3, last_access_at: later, active_user: 'alice' });
  });

  it('refuses to refresh a revoked session, naming the revoker and reason', async () => {
    const record = await created();
    await revoke(record.id, 'laptop stolen');
    const error = await caught(store.refresh(table, { id: record.id, user: 'alice', profile: 'prod', now: NOW }));
    expect(error.code).toBe('SESSION_REVOKED');
    expect(error.message).toBe(`session ${record.id} was revoked by ops-erin: laptop stolen`);
    expect(await rawItem(record.id)).toMatchObject({ request_count: 1, status: 'revoked' });
  });

  it("refuses to refresh another user's session", async () => {
    const record = await created({ user: 'bob' });
    const error = await caught(store.refresh(table, { id: record.id, user: 'alice', profile: 'prod', now: NOW }));
    expect(error.code).toBe('NOT_OWNER');
    expect(await rawItem(record.id)).toMatchObject({ request_count: 1 });
  });

  it('refuses to refresh a session for another profile', async () => {
    const record = await created();
    expect((await caught(store.refresh(table, { id: record.id, user: 'alice', profile: 'staging', now: NOW }))).code).toBe('CONFLICT');
  });

  it('refuses to refresh a session whose credentials have expired', async () => {
    const record = await created({ expiresAt: '2025-03-04T09:59:00.000Z' });
    const error = await caught(store.refresh(table, { id: record.id, user: 'alice', profile: 'prod', now: NOW }));
    expect(error.code).toBe('SESSION_EXPIRED');
    expect(error.message).toBe(`session ${record.id} expired at 2025-03-04T09:59:00.000Z`);
  });

  it('says NOT_FOUND for an unknown session id', async () => {
    expect((await caught(store.refresh(table, { id: 'no-such-session', user: 'alice', profile: 'prod', now: NOW }))).code).toBe('NOT_FOUND');
    expect(await rawItem('no-such-session')).toBeUndefined();
  });

  it('markIssued moves expires_at and ttl of an active session', async () => {
    const record = await created();
    await store.markIssued(table, record.id, { user: record.user, expiresAt: '2025-03-04T11:00:00.000Z', ttl: TTL + 3600 });
    expect(await rawItem(record.id)).toMatchObject({ expires_at: '2025-03-04T11:00:00.000Z', ttl: TTL + 3600, status: 'active' });
  });

  it('markIssued after a revoke throws SESSION_REVOKED and leaves the expiry alone', async () => {
    const record = await created();
    await revoke(record.id, 'offboarding');
    const error = await caught(store.markIssued(table, record.id, { user: record.user, expiresAt: '2025-03-04T11:00:00.000Z', ttl: 1 }));
    expect(error.code).toBe('SESSION_REVOKED');
    expect(await rawItem(record.id)).toMatchObject({ expires_at: record.expiresAt, ttl: record.ttl });
  });

  it('a new session is pending: outside the active index, never refreshable, failed once its planned expiry passes', async () => {
    const user = `pending-${randomUUID()}`;
    const record = await pending({ user });
    expect(await rawItem(record.id)).toMatchObject({ status: 'pending', request_count: 1 });
    expect(await activeIds(user)).toEqual([]);
    const early = await caught(store.refresh(table, { id: record.id, user, profile: 'prod', now: NOW }));
    expect([early.code, early.message]).toEqual(['CONFLICT', `session ${record.id} is still being issued: try again`]);
    const late = await caught(store.refresh(table, { id: record.id, user, profile: 'prod', now: '2025-03-04T10:20:00.000Z' }));
    expect([late.code, late.message]).toEqual(['SESSION_EXPIRED', `session ${record.id} is no longer usable: issuing its credentials failed`]);
    expect(await rawItem(record.id)).toMatchObject({ status: 'pending', request_count: 1 });
    await store.markIssued(table, record.id, { user, expiresAt: record.expiresAt, ttl: record.ttl });
    expect(await activeIds(user)).toEqual([record.id]);
  });

  it('markFailed fails a pending session, which stays out of the active index and cannot be refreshed', async () => {
    const user = `failing-${randomUUID()}`;
    const record = await pending({ user });
    await store.markFailed(table, record.id, NOW);
    expect(await activeIds(user)).toEqual([]);
    expect(await rawItem(record.id)).toMatchObject({ status: 'failed', expires_at: NOW });
    expect((await caught(store.refresh(table, { id: record.id, user, profile: 'prod', now: NOW }))).code).toBe('SESSION_EXPIRED');
  });

  it('markFailed leaves a revoked session revoked, and an active one active', async () => {
    const live = await created();
    await store.markFailed(table, live.id, NOW);
    expect(await rawItem(live.id)).toMatchObject({ status: 'active' });
    const record = await pending();
    await revoke(record.id, 'incident');
    await store.markFailed(table, record.id, NOW);
    expect(await rawItem(record.id)).toMatchObject({ status: 'revoked', revoked_reason: 'incident' });
  });

  it('end ends the session for its owner, removes it from the active index, and a second end says SESSION_ENDED', async () => {
    const user = `ending-${randomUUID()}`;
    const record = await created({ user });
    const ended = await store.end(table, { id: record.id, user, now: NOW });
    expect(ended).toEqual({ ...record, status: 'ended', endedAt: NOW });
    expect(await activeIds(user)).toEqual([]);
    expect((await rawItem(record.id))?.active_user).toBeUndefined();
    expect((await caught(store.end(table, { id: record.id, user, now: NOW }))).code).toBe('SESSION_ENDED');
  });

  it("refuses to end another user's session", async () => {
    const record = await created({ user: 'bob' });
    expect((await caught(store.end(table, { id: record.id, user: 'alice', now: NOW }))).code).toBe('NOT_OWNER');
    expect(await rawItem(record.id)).toMatchObject({ status: 'active' });
  });

  it('a session table that does not exist is a deployment fault: UNAVAILABLE, and the name stays in the log', async () => {
    const error = await caught(store.get('sentinel-missing-table', 'x'));
    expect([error.code, error.message, error.retryAfterSeconds]).toEqual(['UNAVAILABLE', 'the session store is unavailable', 30]);
    expect((error.cause as Error).name).toBe('ResourceNotFoundException');
  });

  it('no refresh succeeds after a concurrent revoke is written', async () => {
    const record = await created();
    const refresh = (): Promise<SessionRecord> => store.refresh(table, { id: record.id, user: 'alice', profile: 'prod', now: NOW });
    // The revoke is sent in the middle of the burst, so refreshes land on both sides of it.
    const early = Array.from({ length: 10 }, refresh);
    const revoked = revoke(record.id, 'concurrent');
    const refreshes = [...early, ...Array.from({ length: 10 }, refresh)];
    const [results, revokedItem] = await Promise.all([Promise.allSettled(refreshes), revoked]);
    const observed = revokedItem?.request_count;
    expect(typeof observed).toBe('number');

    const succeeded = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.requestCount] : []));
    const failed = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    for (const count of succeeded) expect(count).toBeLessThanOrEqual(observed as number);
    // The session started at 1: exactly the refreshes written before the revoke succeeded.
    expect(succeeded.length).toBe((observed as number) - 1);
    for (const reason of failed) expect(reason).toMatchObject({ code: 'SESSION_REVOKED' });
    expect(await rawItem(record.id)).toMatchObject({ status: 'revoked', request_count: observed });
  });
});
