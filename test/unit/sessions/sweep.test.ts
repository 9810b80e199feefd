/**
 * The sweep (src/sessions/sweep.ts) and the revoke routes' AWS side
 * (src/sessions/manage.ts, src/sessions/awsSide.ts) over in-memory stores, and over
 * IAM replaced by aws-sdk-client-mock: pending denies completed, expired ones pruned,
 * a full policy alerted on, and nothing pruned on a partial picture.
 */

import { GetRolePolicyCommand, IAMClient, IAMServiceException, PutRolePolicyCommand, DeleteRolePolicyCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { IamRoleRevoker } from '../../../src/aws/IamRoleRevoker.js';
import { UnavailableError } from '../../../src/errors.js';
import type { Caller } from '../../../src/identity/types.js';
import { MemoryRoleRevoker } from '../../../src/local/MemoryRoleRevoker.js';
import { PENDING_ALERT, POLICY_FULL_ALERT } from '../../../src/sessions/awsSide.js';
import { cursorCodec, cursorKey } from '../../../src/sessions/cursor.js';
import type { RevocationEntry, RevocationLedger } from '../../../src/sessions/ledger.js';
import { revokeSession, revokeSessions, type RevocationDeps } from '../../../src/sessions/manage.js';
import { REVOCATION_CAPACITY, revocationPolicy, type RoleRevoker } from '../../../src/sessions/revocation.js';
import { ORPHAN_AGE_MS, PRUNE_MARGIN_MS, sweep, type SweepDeps } from '../../../src/sessions/sweep.js';
import type { SessionRecord } from '../../../src/sessions/types.js';
import { MemorySessionStore } from '../vending/fakes.js';

const TABLE = 'sentinel-sessions';
const ROLE = 'arn:aws:iam::111122223333:role/sentinel-prod';
const OTHER_ROLE = 'arn:aws:iam::111122223333:role/sentinel-dev';
const NOW = new Date('2026-11-18T12:00:00.000Z');
const LATER = (ms: number) => new Date(NOW.getTime() + ms);
const id = (n: number) => n.toString(16).padStart(32, '0');
const admin = { user: 'admin', principal: 'p-admin' } as unknown as Caller;

/** A ledger in memory with the adapter's semantics: intend never downgrades, `all` can be made to fail. */
class MemoryLedger implements RevocationLedger {
  readonly entries = new Map<string, RevocationEntry>();
  failAll = false;

  async intend(entries: ReadonlyArray<{ sessionId: string; sessionTable: string; revokedAt: string }>): Promise<void> {
    for (const entry of entries) {
      const existing = this.entries.get(entry.sessionId);
      this.entries.set(entry.sessionId, existing ?? { ...entry, aws: 'pending', attempts: 0 });
    }
  }

  async settle(entries: Parameters<RevocationLedger['settle']>[0]): Promise<void> {
    for (const entry of entries) {
      const existing = this.entries.get(entry.sessionId);
      const attempts = (existing?.attempts ?? 0) + (entry.aws === 'pending' ? 1 : 0);
      const { sessionId, sessionTable, roleArn, expiresAt, aws } = entry;
      this.entries.set(sessionId, {
        sessionId,
        sessionTable,
        revokedAt: existing?.revokedAt ?? entry.revokedAt,
        roleArn,
        expiresAt,
        aws,
        attempts,
        ...(entry.aws === 'pending' ? { lastError: entry.error } : {}),
      });
    }
  }

  async all(): Promise<RevocationEntry[]> {
    if (this.failAll) throw new UnavailableError('the revocation ledger is unavailable');
    return [...this.entries.values()].map((entry) => ({ ...entry }));
  }

  async forget(sessionIds: readonly string[]): Promise<void> {
    for (const sessionId of sessionIds) this.entries.delete(sessionId);
  }
}

/** A revoker whose next calls fail (IAM unreachable), then works as the memory one. */
class FlakyRevoker implements RoleRevoker {
  readonly memory = new MemoryRoleRevoker();
  failures = 0;

  async deny(roleArn: string, ids: readonly string[]) {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new UnavailableError('IAM is unavailable');
    }
    return this.memory.deny(roleArn, ids);
  }

  async prune(roleArn: string, expired: ReadonlySet<string>) {
    return this.memory.prune(roleArn, expired);
  }
}

interface Logged {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

let sessions: MemorySessionStore;
let ledger: MemoryLedger;
let revoker: FlakyRevoker;
let logged: Logged[];
let log: SweepDeps['log'];

function session(n: number, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: id(n),
    user: 'alice',
    callerArn: 'arn:aws:sts::000000000000:assumed-role/AWSReservedSSO_Engineer_1/alice',
    accountId: '000000000000',
    profile: 'prod',
    roleArn: ROLE,
    mode: 'server',
    status: 'active',
    sourceIdentity: 'sentinel.alice.direct.0a1b2c3d',
    createdAt: '2026-11-18T11:00:00.000Z',
    lastAccessAt: '2026-11-18T11:00:00.000Z',
    expiresAt: '2026-11-18T13:00:00.000Z',
    requestCount: 1,
    ttl: 1_900_000_000,
    ...overrides,
  };
}

function put(...records: SessionRecord[]): void {
  for (const record of records) sessions.table(TABLE).set(record.id, { ...record });
}

function revocationDeps(): RevocationDeps {
  return {
    sessions,
    sessionTables: { isSessionsTable: async () => true },
    settings: { tablePrefix: 'sentinel-', defaultSessionTable: TABLE },
    cursors: cursorCodec(cursorKey(undefined)),
    ledger,
    revoker,
    log,
  };
}

function sweepDeps(overrides: Partial<SweepDeps> = {}): SweepDeps {
  return { sessions, ledger, revoker, log, sessionTables: async () => [TABLE], ...overrides };
}

beforeEach(() => {
  sessions = new MemorySessionStore();
  ledger = new MemoryLedger();
  revoker = new FlakyRevoker();
  logged = [];
  log = {
    info: (message, fields) => logged.push({ level: 'info', message, fields }),
    warn: (message, fields) => logged.push({ level: 'warn', message, fields }),
    error: (message, fields) => logged.push({ level: 'error', message, fields }),
  };
});

describe('revoking: the AWS side', () => {
  it('writes the ledger entry, revokes, denies on the role and records it denied', async () => {
    put(session(1));
    const answer = await revokeSession(id(1), { reason: 'laptop stolen' }, admin, NOW, revocationDeps());
    expect(answer.aws).toEqual({ status: 'denied' });
    expect(answer.session).toMatchObject({ status: 'revoked', revokedBy: 'admin', revokedReason: 'laptop stolen' });
    expect(revoker.memory.denied(ROLE)).toEqual([id(1)]);
    expect(ledger.entries.get(id(1))).toEqual({ sessionId: id(1), sessionTable: TABLE, revokedAt: NOW.toISOString(), roleArn: ROLE, expiresAt: '2026-11-18T13:00:00.000Z', aws: 'denied', attempts: 0 });
    expect(logged).toEqual([{ level: 'info', message: 'session revoked', fields: expect.objectContaining({ sessionId: id(1), revokedBy: 'admin', aws: 'denied' }) }]);
  });

  it('IAM failing: the session is revoked, the answer says pending, the ledger keeps it pending', async () => {
    put(session(1));
    revoker.failures = 1;
    const answer = await revokeSession(id(1), { reason: 'incident' }, admin, NOW, revocationDeps());
    expect(answer.session.status).toBe('revoked');
    expect(answer.aws).toEqual({ status: 'pending', message: 'IAM is unavailable; the sweep retries every 5 minutes' });
    expect(sessions.table(TABLE).get(id(1))?.status).toBe('revoked');
    expect(ledger.entries.get(id(1))).toMatchObject({ aws: 'pending', attempts: 1, lastError: 'IAM is unavailable; the sweep retries every 5 minutes' });
    expect(revoker.memory.denied(ROLE)).toEqual([]);
  });

  it('the ledger failing before the revoke: nothing is revoked, the caller gets the failure and can retry', async () => {
    put(session(1));
    ledger.intend = async () => {
      throw new UnavailableError('the revocation ledger is unavailable', { retryAfterSeconds: 1 });
    };
    await expect(revokeSession(id(1), { reason: 'x' }, admin, NOW, revocationDeps())).rejects.toMatchObject({ code: 'UNAVAILABLE', retryAfterSeconds: 1 });
    expect(sessions.table(TABLE).get(id(1))?.status).toBe('active');
    expect(revoker.memory.documents.size).toBe(0);
  });

  it('a refused revocation (ended session) leaves no ledger entry and no deny', async () => {
    put(session(1, { status: 'ended', endedAt: '2026-11-18T11:30:00.000Z' }));
    await expect(revokeSession(id(1), { reason: 'x' }, admin, NOW, revocationDeps())).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(ledger.entries.size).toBe(0);
    expect(revoker.memory.documents.size).toBe(0);
  });

  it('bulk: one deny per role for every session revoked, pending counted when IAM fails for one role', async () => {
    put(session(1), session(2), session(3, { roleArn: OTHER_ROLE, profile: 'dev' }), session(4, { status: 'ended' }));
    revoker.failures = 1;
    const answer = await revokeSessions({ user: 'alice', reason: 'offboarding' }, admin, NOW, revocationDeps());
    // Roles are denied in the order their first session was listed (newest first: all were created at once here).
    expect(answer.revoked).toBe(3);
    expect(answer.skipped).toBe(0);
    expect(answer.awsPending).toBeGreaterThan(0);
    const denied = [...revoker.memory.denied(ROLE), ...revoker.memory.denied(OTHER_ROLE)];
    expect(denied.length + answer.awsPending).toBe(3);
    expect([...ledger.entries.keys()].sort()).toEqual([id(1), id(2), id(3)]);
  });
});

describe('the sweep', () => {
  it('completes a pending deny and records it denied', async () => {
    put(session(1));
    revoker.failures = 1;
    await revokeSession(id(1), { reason: 'incident' }, admin, NOW, revocationDeps());
    const report = await sweep(LATER(60_000), sweepDeps());
    expect(report).toMatchObject({ denied: 1, pending: 0, pruned: 0, failures: 0 });
    expect(revoker.memory.denied(ROLE)).toEqual([id(1)]);
    expect(ledger.entries.get(id(1))).toMatchObject({ aws: 'denied', attempts: 1 });
    expect(ledger.entries.get(id(1))?.lastError).toBeUndefined();
  });

  it('keeps retrying while IAM fails, counting each run as a failure', async () => {
    put(session(1));
    revoker.failures = 3;
    await revokeSession(id(1), { reason: 'incident' }, admin, NOW, revocationDeps());
    expect(await sweep(LATER(60_000), sweepDeps())).toMatchObject({ denied: 0, pending: 1, failures: 1 });
    expect(await sweep(LATER(120_000), sweepDeps())).toMatchObject({ denied: 0, pending: 1, failures: 1 });
    expect(ledger.entries.get(id(1))).toMatchObject({ aws: 'pending', attempts: 3 });
    expect(await sweep(LATER(180_000), sweepDeps())).toMatchObject({ denied: 1, pending: 0, failures: 0 });
  });

  it('prunes entries whose credentials expired (with the margin), deletes the policy when empty, forgets them', async () => {
    put(session(1, { expiresAt: '2026-11-18T12:10:00.000Z' }), session(2, { expiresAt: '2026-11-18T14:00:00.000Z' }));
    await revokeSessions({ user: 'alice', reason: 'offboarding' }, admin, NOW, revocationDeps());
    expect(new Set(revoker.memory.denied(ROLE))).toEqual(new Set([id(1), id(2)]));
    // 12:10 has passed, but not by the margin: nothing is pruned yet.
    expect(await sweep(new Date(Date.parse('2026-11-18T12:10:00.000Z') + PRUNE_MARGIN_MS - 1000), sweepDeps())).toMatchObject({ pruned: 0, denied: 2 });
    const report = await sweep(new Date(Date.parse('2026-11-18T12:10:00.000Z') + PRUNE_MARGIN_MS), sweepDeps());
    expect(report).toMatchObject({ pruned: 1, forgotten: 1, denied: 1, failures: 0 });
    expect(revoker.memory.denied(ROLE)).toEqual([id(2)]);
    expect([...ledger.entries.keys()]).toEqual([id(2)]);
    expect(await sweep(new Date('2026-11-18T15:00:00.000Z'), sweepDeps())).toMatchObject({ pruned: 1, forgotten: 1 });
    expect(revoker.memory.documents.has(ROLE)).toBe(false);
    expect(ledger.entries.size).toBe(0);
  });

  it('never prunes an id it does not know: a revocation that landed after the ledger was read stays denied', async () => {
    put(session(1, { expiresAt: '2026-11-18T12:01:00.000Z' }));
    await revokeSession(id(1), { reason: 'x' }, admin, NOW, revocationDeps());
    // Another revocation's deny, whose ledger entry this run has not seen.
    await revoker.memory.deny(ROLE, [id(9)]);
    await sweep(new Date('2026-11-18T13:00:00.000Z'), sweepDeps());
    expect(revoker.memory.denied(ROLE)).toEqual([id(9)]);
  });

  it('restores an id a concurrent write on the role lost, and says so', async () => {
    put(session(1), session(2));
    await revokeSessions({ user: 'alice', reason: 'x' }, admin, NOW, revocationDeps());
    // Another writer's read-modify-write dropped id(2).
    revoker.memory.documents.set(ROLE, revocationPolicy([id(1)]));
    const report = await sweep(LATER(60_000), sweepDeps());
    expect(report).toMatchObject({ denied: 2, failures: 0 });
    expect(new Set(revoker.memory.denied(ROLE))).toEqual(new Set([id(1), id(2)]));
    expect(logged.filter((line) => line.level === 'warn').map((line) => [line.message, line.fields.sessions])).toEqual([['sweep: restored revocations missing from a role policy', [id(2)]]]);
  });

  it('drops an intent whose session was never revoked once it is old enough, not before', async () => {
    put(session(1));
    await ledger.intend([{ sessionId: id(1), sessionTable: TABLE, revokedAt: NOW.toISOString() }]);
    expect(await sweep(LATER(ORPHAN_AGE_MS - 1000), sweepDeps())).toMatchObject({ forgotten: 0, denied: 0 });
    expect(ledger.entries.has(id(1))).toBe(true);
    expect(await sweep(LATER(ORPHAN_AGE_MS), sweepDeps())).toMatchObject({ forgotten: 1, denied: 0 });
    expect(ledger.entries.size).toBe(0);
    expect(revoker.memory.documents.size).toBe(0);
  });

  it('fills a pending entry that lacks the role and expiry from the revoked session record', async () => {
    put(session(1, { status: 'revoked', revokedBy: 'admin', revokedReason: 'x', revokedAt: NOW.toISOString() }));
    // As left by a revocation that stopped after its update, before the IAM step.
    await ledger.intend([{ sessionId: id(1), sessionTable: TABLE, revokedAt: NOW.toISOString() }]);
    expect(await sweep(LATER(1000), sweepDeps())).toMatchObject({ denied: 1 });
    expect(ledger.entries.get(id(1))).toMatchObject({ aws: 'denied', roleArn: ROLE, expiresAt: '2026-11-18T13:00:00.000Z' });
  });

  it('prunes nothing and retries nothing when the ledger cannot be read', async () => {
    put(session(1, { expiresAt: '2026-11-18T12:01:00.000Z' }));
    await revokeSession(id(1), { reason: 'x' }, admin, NOW, revocationDeps());
    ledger.failAll = true;
    const report = await sweep(new Date('2026-11-18T14:00:00.000Z'), sweepDeps());
    expect(report).toMatchObject({ pruned: 0, denied: 0, failures: 1 });
    expect(revoker.memory.denied(ROLE)).toEqual([id(1)]);
  });

  it('marks active sessions past expires_at expired in every sessions table; a failing table is a failure, the others go on', async () => {
    put(session(1, { expiresAt: '2026-11-18T11:59:00.000Z' }), session(2));
    sessions.table('sentinel-team-sessions').set(id(3), session(3, { expiresAt: '2026-11-18T11:00:00.000Z' }));
    const report = await sweep(NOW, sweepDeps({ sessionTables: async () => [TABLE, 'sentinel-team-sessions'] }));
    expect(report).toMatchObject({ expired: 2, moreOverdue: false, failures: 0 });
    expect(sessions.table(TABLE).get(id(1))?.status).toBe('expired');
    expect(sessions.table(TABLE).get(id(2))?.status).toBe('active');
    expect(sessions.table('sentinel-team-sessions').get(id(3))?.status).toBe('expired');
    const failing = await sweep(NOW, sweepDeps({ sessionTables: async () => { throw new UnavailableError('registry down'); } }));
    expect(failing.failures).toBe(1);
  });

  it('an IAM outage: the revocation is pending, and a warning line carries the alert the revocation-failures alarm counts', async () => {
    revoker.failures = 1;
    put(session(1));
    const answer = await revokeSession(id(1), { reason: 'x' }, admin, NOW, revocationDeps());
    expect(answer.aws.status).toBe('pending');
    const alert = logged.find((line) => line.fields.alert === PENDING_ALERT);
    expect(alert).toMatchObject({ level: 'warn', fields: { roleArn: ROLE, sessions: [id(1)] } });
    expect(logged.filter((line) => line.fields.alert === POLICY_FULL_ALERT)).toEqual([]);
  });

  it('a full policy: the revocation is pending, and an alert line names the role and the budget', async () => {
    const full = Array.from({ length: REVOCATION_CAPACITY }, (_, n) => id(n + 0x1000));
    revoker.memory.documents.set(ROLE, revocationPolicy(full));
    put(session(1));
    const answer = await revokeSession(id(1), { reason: 'x' }, admin, NOW, revocationDeps());
    expect(answer.aws.status).toBe('pending');
    expect(answer.aws.message).toMatch(/is full: a role's inline policies may hold 10,240 characters/);
    const alert = logged.find((line) => line.fields.alert === POLICY_FULL_ALERT);
    expect(alert).toMatchObject({ level: 'error', fields: { roleArn: ROLE, sessions: [id(1)], entries: REVOCATION_CAPACITY + 1 } });
    expect(revoker.memory.denied(ROLE)).toEqual(full);
  });
});

describe('the sweep over IAM (aws-sdk-client-mock)', () => {
  const iam = mockClient(IAMClient);
  const noSuchEntity = () => new IAMServiceException({ name: 'NoSuchEntity', message: 'not found', $fault: 'client', $metadata: { httpStatusCode: 404 } });

  beforeEach(() => {
    iam.reset();
  });

  it('IAM failure → pending → the sweep writes exactly the deny document, then prunes it away', async () => {
    const iamRevoker = new IamRoleRevoker({ clientFor: () => new IAMClient({ region: 'us-east-1' }), settle: async () => undefined });
    const documents = new Map<string, string>();
    let down = true;
    iam.on(GetRolePolicyCommand).callsFake((input: { RoleName: string }) => {
      if (down) throw new IAMServiceException({ name: 'ServiceUnavailable', message: 'down', $fault: 'server', $metadata: { httpStatusCode: 503 } });
      const document = documents.get(input.RoleName);
      if (document === undefined) throw noSuchEntity();
      return { PolicyDocument: encodeURIComponent(document) };
    });
    iam.on(PutRolePolicyCommand).callsFake((input: { RoleName: string; PolicyDocument: string }) => {
      documents.set(input.RoleName, input.PolicyDocument);
      return {};
    });
    iam.on(DeleteRolePolicyCommand).callsFake((input: { RoleName: string }) => {
      documents.delete(input.RoleName);
      return {};
    });
    put(session(1, { expiresAt: '2026-11-18T12:30:00.000Z' }));
    const deps = { ...revocationDeps(), revoker: iamRevoker };
    const answer = await revokeSession(id(1), { reason: 'incident' }, admin, NOW, deps);
    expect(answer.aws.status).toBe('pending');
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);

    down = false;
    expect(await sweep(LATER(60_000), sweepDeps({ revoker: iamRevoker }))).toMatchObject({ denied: 1, pending: 0, failures: 0 });
    expect(iam.commandCalls(PutRolePolicyCommand).map((call) => call.args[0].input)).toEqual([
      {
        RoleName: 'sentinel-prod',
        PolicyName: 'SentinelRevokedSessions',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Sid: 'SentinelRevokedSessions', Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/SentinelSessionID': [id(1)] } } }],
        }),
      },
    ]);
    // A run with nothing to change reads and writes nothing new.
    await sweep(LATER(120_000), sweepDeps({ revoker: iamRevoker }));
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);

    // Past expiry plus the margin: the deny is deleted, the ledger forgets it.
    expect(await sweep(new Date('2026-11-18T12:40:00.000Z'), sweepDeps({ revoker: iamRevoker }))).toMatchObject({ pruned: 1, forgotten: 1 });
    expect(iam.commandCalls(DeleteRolePolicyCommand).map((call) => call.args[0].input)).toEqual([{ RoleName: 'sentinel-prod', PolicyName: 'SentinelRevokedSessions' }]);
    expect(documents.size).toBe(0);
    expect(ledger.entries.size).toBe(0);
  });
});
