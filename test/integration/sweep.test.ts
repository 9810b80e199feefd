/**
 * The sweep and the revocation ledger against DynamoDB Local: overdue sessions marked
 * expired through the sparse by-active index (the only Scan Sentinel sends, and never
 * of a table), the ledger's entries as the revoke routes and the sweep write them.
 */

import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/identity/types.js';
import { MemoryRoleRevoker } from '../../src/local/MemoryRoleRevoker.js';
import { cursorCodec, cursorKey } from '../../src/sessions/cursor.js';
import { DynamoRevocationLedger } from '../../src/sessions/DynamoRevocationLedger.js';
import { DynamoSessionStore } from '../../src/sessions/DynamoSessionStore.js';
import { revokeSession } from '../../src/sessions/manage.js';
import type { SentinelEvent } from '../../src/notify/events.js';
import { DynamoRequestStore } from '../../src/requests/DynamoRequestStore.js';
import type { AccessRequestRecord } from '../../src/requests/types.js';
import { sweep } from '../../src/sessions/sweep.js';
import { createTestTable, testClients } from './dynamodb.js';

const NOW = new Date('2026-11-18T12:00:00.000Z');
const ROLE = 'arn:aws:iam::111122223333:role/sentinel-prod';
const admin = { user: 'admin', principal: 'p-admin' } as unknown as Caller;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const id = (n: number) => n.toString(16).padStart(32, '0');

let table: string;
let configTable: string;
let store: DynamoSessionStore;
let ledger: DynamoRevocationLedger;
const sent: Array<{ command: string; index?: string; table?: string }> = [];

function item(n: number, status: string, expiresAt: string) {
  return {
    id: id(n), user: 'alice', caller_arn: 'arn:aws:iam::000000000000:user/alice', account_id: '000000000000', profile: 'prod', role_arn: ROLE,
    mode: 'server', status, ...(status === 'active' ? { active_user: 'alice' } : {}), source_identity: 'sentinel.alice.direct.0a1b2c3d',
    created_at: '2026-11-18T11:00:00.000Z', last_access_at: '2026-11-18T11:00:00.000Z', expires_at: expiresAt, request_count: 1,
    // In the future: DynamoDB Local's TTL would delete a past-dated item mid-test.
    ttl: 4_000_000_000,
  };
}

beforeAll(async () => {
  table = await createTestTable('sessions');
  configTable = await createTestTable('config');
  const counted = DynamoDBDocumentClient.from(testClients().dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  counted.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { IndexName?: string; TableName?: string };
      sent.push({ command: String(context.commandName), ...(input.IndexName === undefined ? {} : { index: input.IndexName }), ...(input.TableName === undefined ? {} : { table: input.TableName }) });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  store = new DynamoSessionStore(counted);
  ledger = new DynamoRevocationLedger(counted, configTable);
}, 60_000);

describe('the sweep on DynamoDB Local', () => {
  it('marks overdue active sessions expired from the by-active index, leaves the others, and scans nothing else', async () => {
    const { documents } = testClients();
    const past = '2026-11-18T11:30:00.000Z';
    const future = '2026-11-18T18:00:00.000Z';
    await Promise.all([
      documents.send(new PutCommand({ TableName: table, Item: item(1, 'active', past) })),
      documents.send(new PutCommand({ TableName: table, Item: item(2, 'active', future) })),
      documents.send(new PutCommand({ TableName: table, Item: item(3, 'ended', past) })),
      documents.send(new PutCommand({ TableName: table, Item: item(4, 'active', past) })),
    ]);
    sent.length = 0;
    const revoker = new MemoryRoleRevoker();
    const report = await sweep(NOW, { sessions: store, ledger, revoker, log: silent, sessionTables: async () => [table] }, { expireLimit: 1 });
    expect(report).toMatchObject({ expired: 1, moreOverdue: true, failures: 0 });
    expect((await sweep(NOW, { sessions: store, ledger, revoker, log: silent, sessionTables: async () => [table] })).expired).toBe(1);
    const status = async (n: number) => (await documents.send(new GetCommand({ TableName: table, Key: { id: id(n) }, ConsistentRead: true }))).Item;
    expect(await status(1)).toMatchObject({ status: 'expired' });
    expect((await status(1))?.active_user).toBeUndefined();
    expect(await status(2)).toMatchObject({ status: 'active', active_user: 'alice' });
    expect(await status(3)).toMatchObject({ status: 'ended' });
    expect(await status(4)).toMatchObject({ status: 'expired' });
    const scans = sent.filter((command) => command.command === 'ScanCommand');
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.every((scan) => scan.index === 'by-active' && scan.table === table)).toBe(true);
    // The ledger is one Query of the config table.
    expect(sent.filter((command) => command.command === 'QueryCommand')).toEqual([{ command: 'QueryCommand', table: configTable }, { command: 'QueryCommand', table: configTable }]);
  });

  it('a revocation\'s ledger entry: intent, outcome, and forgotten after the sweep prunes it', async () => {
    const { documents } = testClients();
    await documents.send(new PutCommand({ TableName: table, Item: item(10, 'active', '2026-11-18T12:20:00.000Z') }));
    const revoker = new MemoryRoleRevoker();
    const deps = {
      sessions: store,
      sessionTables: { isSessionsTable: async () => true },
      settings: { tablePrefix: 'sentinel-', defaultSessionTable: table },
      cursors: cursorCodec(cursorKey(undefined)),
      ledger,
      revoker,
      log: silent,
    };
    const answer = await revokeSession(id(10), { reason: 'incident' }, admin, NOW, deps);
    expect(answer.aws).toEqual({ status: 'denied' });
    const stored = (await documents.send(new GetCommand({ TableName: configTable, Key: { pk: 'revocation', sk: id(10) }, ConsistentRead: true }))).Item;
    expect(stored).toEqual({
      pk: 'revocation',
      sk: id(10),
      session_table: table,
      revoked_at: NOW.toISOString(),
      aws: 'denied',
      attempts: 0,
      role_arn: ROLE,
      expires_at: '2026-11-18T12:20:00.000Z',
      ttl: Date.parse('2026-11-18T12:20:00.000Z') / 1000 + 7 * 24 * 3600,
    });
    expect(revoker.denied(ROLE)).toEqual([id(10)]);
    const report = await sweep(new Date('2026-11-18T13:00:00.000Z'), { sessions: store, ledger, revoker, log: silent, sessionTables: async () => [table] });
    expect(report).toMatchObject({ pruned: 1, forgotten: 1, failures: 0 });
    expect(revoker.documents.has(ROLE)).toBe(false);
    expect(await ledger.all()).toEqual([]);
  });

  it('marks pending access requests past their 24 hours expired, announces each, and leaves decided and open ones', async () => {
    const requestsTable = await createTestTable('requests');
    const requests = new DynamoRequestStore(testClients().documents, requestsTable);
    const request = (n: number, overrides: Partial<AccessRequestRecord>): AccessRequestRecord => ({
      id: id(100 + n), requester: 'alice', requesterPrincipal: 'p-alice', profile: 'prod-admin', justification: 'incident 42 needs a fix',
      durationSeconds: 3600, status: 'pending', createdAt: '2026-11-17T11:00:00.000Z', expiresAt: '2026-11-18T11:00:00.000Z',
      minApprovals: 1, approvals: [], ttl: 4_000_000_000, ...overrides,
    });
    await requests.create(request(1, {}));
    await requests.create(request(2, { expiresAt: '2026-11-18T13:00:00.000Z' }));
    await requests.create(request(3, { status: 'cancelled', decidedAt: '2026-11-17T12:00:00.000Z' }));
    const events: SentinelEvent[] = [];
    const report = await sweep(NOW, {
      sessions: store, ledger, revoker: new MemoryRoleRevoker(), log: silent, sessionTables: async () => [], requests,
      notifier: { publish: async (event) => void events.push(event) },
    });
    expect(report).toMatchObject({ requestsExpired: 1, failures: 0 });
    expect((await requests.get(id(101)))?.status).toBe('expired');
    expect((await requests.get(id(102)))?.status).toBe('pending');
    expect((await requests.get(id(103)))?.status).toBe('cancelled');
    expect(events.map((event) => [event.type, event.id, event.user])).toEqual([['request.expired', id(101), 'alice']]);
    // Out of the pending index: a second run finds nothing.
    expect((await sweep(NOW, { sessions: store, ledger, revoker: new MemoryRoleRevoker(), log: silent, sessionTables: async () => [], requests })).requestsExpired).toBe(0);
  });
});
