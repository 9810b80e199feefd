import { describe, expect, it } from 'vitest';
import { person } from '../../support/callers.js';
import type { CredentialsRequest } from '../../../src/api/contract.js';
import { UnavailableError } from '../../../src/errors.js';
import type { Caller } from '../../../src/identity/types.js';
import type { SessionRecord } from '../../../src/sessions/types.js';
import { vendCredentials } from '../../../src/vending/issue.js';
import { caught } from '../../support/caught.js';
import { harness, SERVER_FREEZE_POLICY } from './fakes.js';
import type { Harness } from './fakes.js';

const alice: Caller = person('alice');
const carol: Caller = person('carol');

function vend(h: Harness, request: CredentialsRequest, caller: Caller = alice) {
  return vendCredentials(request, { caller, requestId: 'req-1', receivedAt: h.clock.time }, h.deps);
}

describe('vendCredentials: allowed issuance', () => {
  it('writes one session item in the default table before STS and returns the credentials with the session', async () => {
    const h = harness();
    const response = await vend(h, { profile: 'dev', mode: 'cli' });

    const table = h.sessions.table('sentinel-sessions');
    expect([...table.values()]).toEqual([
      {
        id: '00000000000000000000000000000002',
        user: 'alice',
        callerArn: alice.arn,
        accountId: '000000000000',
        profile: 'dev',
        roleArn: 'arn:aws:iam::111122223333:role/sentinel-dev',
        mode: 'cli',
        status: 'active',
        sourceIdentity: 'sentinel.alice.direct.00000001',
        createdAt: '2026-11-18T10:00:00.000Z',
        lastAccessAt: '2026-11-18T10:00:00.000Z',
        expiresAt: '2026-11-18T11:00:00.000Z',
        requestCount: 1,
        ttl: Date.parse('2026-11-18T11:00:00Z') / 1000 + 90 * 86_400,
      },
    ]);
    expect(h.issuer.calls).toEqual([
      {
        roleArn: 'arn:aws:iam::111122223333:role/sentinel-dev',
        roleSessionName: 'sentinel-alice-00000001',
        sourceIdentity: 'sentinel.alice.direct.00000001',
        durationSeconds: 3600,
        sessionId: '00000000000000000000000000000002',
      },
    ]);
    expect(response).toEqual({
      credentials: { accessKeyId: 'ASIAFAKE', secretAccessKey: 'fake-secret-key-value', sessionToken: 'fake-session-token-value', expiration: '2026-11-18T11:00:00.000Z' },
      session: { id: '00000000000000000000000000000002', table: 'sentinel-sessions', expiresAt: '2026-11-18T11:00:00.000Z' },
      sourceIdentity: 'sentinel.alice.direct.00000001',
      profile: 'dev',
      region: 'eu-west-1',
      decision: { effect: 'allow', rule: 'dev-engineers' },
    });
  });

  it('records one decision line with every field and no credential', async () => {
    const h = harness();
    await vend(h, { profile: 'dev', mode: 'cli' });
    expect(h.lines).toEqual([
      {
        time: '2026-11-18T10:00:00.000Z',
        requestId: 'req-1',
        user: 'alice',
        callerArn: alice.arn,
        accountId: '000000000000',
        profile: 'dev',
        mode: 'cli',
        outcome: 'issued',
        effect: 'allow',
        rule: 'dev-engineers',
        ruleIndex: 0,
        reason: 'Engineers may use dev freely',
        via: 'direct',
        refresh: false,
        sessionId: '00000000000000000000000000000002',
        sessionTable: 'sentinel-sessions',
        sourceIdentity: 'sentinel.alice.direct.00000001',
        roleArn: 'arn:aws:iam::111122223333:role/sentinel-dev',
        durationSeconds: 3600,
        policyVersion: 1,
        latencyMs: 0,
      },
    ]);
    const text = JSON.stringify(h.lines);
    expect(text).not.toContain('fake-secret-key-value');
    expect(text).not.toContain('fake-session-token-value');
  });

  it('writes no session item when no table is in effect (no deployment default, plain allow)', async () => {
    const h = harness({ defaultSessionTable: null });
    const response = await vend(h, { profile: 'dev', mode: 'cli' });
    expect(response.session).toBeNull();
    expect(h.sessions.tables.size).toBe(0);
    expect(h.issuer.calls[0]).not.toHaveProperty('sessionId');
    expect(h.lines[0]).toMatchObject({ outcome: 'issued', sessionId: null, sessionTable: null });
  });

  it('caps the duration by the profile, and in server mode by max_server_duration', async () => {
    const h = harness();
    await vend(h, { profile: 'dev', mode: 'cli', durationSeconds: 7200 });
    await vend(h, { profile: 'prod', mode: 'server', durationSeconds: 3600 });
    expect(h.issuer.calls.map((call) => call.durationSeconds)).toEqual([3600, 900]);
  });

  it('uses the table the request names when the rule names none', async () => {
    const h = harness({ defaultSessionTable: null });
    const response = await vend(h, { profile: 'prod', mode: 'server', sessionTable: 'sentinel-team-sessions' });
    expect(response.session?.table).toBe('sentinel-team-sessions');
    expect(h.sessions.table('sentinel-team-sessions').size).toBe(1);
  });
});

describe('vendCredentials: refusals carry the facts the CLI renders', () => {
  it('require_server_session through plain exec: both flags, no alternatives', async () => {
    const h = harness();
    const error = await caught(vend(h, { profile: 'prod', mode: 'cli' }));
    expect(error.code).toBe('SERVER_SESSION_REQUIRED');
    expect(error.denial).toEqual({
      effect: 'deny',
      rule: 'prod-tracked',
      reason: 'Production needs tracked server sessions',
      requiresServerMode: true,
      requiresSessionTracking: true,
      sessionTable: 'sentinel-sessions',
      mode: 'cli',
      profile: 'prod',
      alternatives: [],
    });
    expect(h.issuer.calls).toEqual([]);
    expect(h.sessions.tables.size).toBe(0);
  });

  it('require_server_session in server mode with no table anywhere: session tracking only', async () => {
    const h = harness({ defaultSessionTable: null });
    const error = await caught(vend(h, { profile: 'prod', mode: 'server' }));
    expect(error.code).toBe('SESSION_TRACKING_REQUIRED');
    expect(error.denial).toMatchObject({ requiresServerMode: false, requiresSessionTracking: true, sessionTable: null, mode: 'server' });
  });

  it('require_server through plain exec: server mode only', async () => {
    const h = harness();
    const error = await caught(vend(h, { profile: 'staging', mode: 'cli' }));
    expect(error.code).toBe('SERVER_MODE_REQUIRED');
    expect(error.message).toBe('access to profile "staging" is denied: Staging credentials are only served through sentinel exec --server');
    expect(error.denial).toMatchObject({ rule: 'staging-server-only', requiresServerMode: true, requiresSessionTracking: false, alternatives: [] });
  });

  it('require_approval never issues, and offers a request and break-glass', async () => {
    const h = harness();
    const error = await caught(vend(h, { profile: 'prod-admin', mode: 'server' }));
    expect(error.code).toBe('APPROVAL_REQUIRED');
    expect(error.denial).toMatchObject({ effect: 'require_approval', alternatives: ['request', 'breakglass'] });
    expect(h.issuer.calls).toEqual([]);
  });

  it('a profile the caller may not see is answered exactly like one that does not exist; the log keeps the real decision', async () => {
    const h = harness();
    const hidden = await caught(vend(h, { profile: 'dev', mode: 'cli' }, carol));
    const missing = await caught(vend(h, { profile: 'dew', mode: 'cli' }, carol));
    expect([hidden.code, hidden.denial]).toEqual(['UNKNOWN_PROFILE', undefined]);
    expect(hidden.message).toBe(missing.message.replace('"dew"', '"dev"'));
    expect(h.lines[0]).toMatchObject({ outcome: 'UNKNOWN_PROFILE', effect: 'deny', rule: '', ruleIndex: -1 });
  });

  it('an unknown profile suggests only profiles the caller could get', async () => {
    const h = harness();
    const error = await caught(vend(h, { profile: 'dve', mode: 'cli' }));
    expect(error.code).toBe('UNKNOWN_PROFILE');
    expect(error.message).toBe('no profile "dve" in the policy (did you mean "dev"?)');
    const hidden = await caught(vend(h, { profile: 'dve', mode: 'cli' }, carol));
    expect(hidden.message).toBe('no profile "dve" in the policy');
  });

  it('a server cap below the STS minimum is a denial, not an STS error', async () => {
    const h = harness();
    h.setPolicy(`version: "1"
profiles:
  dev: { role_arn: "arn:aws:iam::111122223333:role/dev" }
rules:
  - name: short
    effect: require_server
    max_server_duration: 5m
`);
    const error = await caught(vend(h, { profile: 'dev', mode: 'server' }));
    expect(error.code).toBe('POLICY_DENY');
    expect(error.message).toContain('300 s, below the 900 s STS minimum');
    expect(h.issuer.calls).toEqual([]);
  });

  it('a table outside the deployment prefix is refused before anything is written', async () => {
    const h = harness();
    const error = await caught(vend(h, { profile: 'dev', mode: 'cli', sessionTable: 'other-table' }));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(h.sessions.tables.size).toBe(0);
  });

  it('a client-named table must be a provisioned sessions table', async () => {
    const h = harness();
    const error = await caught(vend(h, { profile: 'dev', mode: 'cli', sessionTable: 'sentinel-config' }));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toBe('session table "sentinel-config" is not a provisioned sessions table: an admin creates it with sentinel init sessions --table sentinel-config');
    expect(h.sessions.tables.size).toBe(0);
    expect(h.issuer.calls).toEqual([]);
  });

  it('a rate-limited caller is refused before anything is written or issued', async () => {
    const h = harness();
    h.rateLimited.value = true;
    const error = await caught(vend(h, { profile: 'dev', mode: 'cli' }));
    expect(error.code).toBe('RATE_LIMITED');
    expect(h.consumed).toEqual(['person/alice']);
    expect(h.sessions.tables.size).toBe(0);
    expect(h.issuer.calls).toEqual([]);
    // Counted after the (pure) decision, so the line says what the policy would have done.
    expect(h.lines[0]).toMatchObject({ outcome: 'RATE_LIMITED', effect: 'allow', rule: 'dev-engineers' });
  });

  it('a refusal is counted too, and a caller over the limit hears that rather than the refusal', async () => {
    const h = harness({ counted: true });
    const refused = await caught(vend(h, { profile: 'prod', mode: 'cli' }));
    expect(refused.code).toBe('SERVER_SESSION_REQUIRED');
    expect([h.consumed, h.countedTogether]).toEqual([['person/alice'], []]);
    h.rateLimited.value = true;
    expect((await caught(vend(h, { profile: 'prod', mode: 'cli' }))).code).toBe('RATE_LIMITED');
    expect(h.consumed).toEqual(['person/alice', 'person/alice']);
  });
});

describe('vendCredentials: the count and the session write in one round trip', () => {
  it('a new session is written and counted together, never counted twice', async () => {
    const h = harness({ counted: true });
    const response = await vend(h, { profile: 'dev', mode: 'cli' });
    expect([h.countedTogether, h.consumed]).toEqual([['person/alice'], []]);
    expect(h.sessions.table('sentinel-sessions').get(response.session?.id as string)).toMatchObject({ status: 'active', requestCount: 1 });
    expect(h.issuer.calls).toHaveLength(1);
  });

  it('an issuance without a session is counted alone', async () => {
    const h = harness({ counted: true, defaultSessionTable: null });
    const response = await vend(h, { profile: 'dev', mode: 'cli' });
    expect(response.session).toBeNull();
    expect([h.countedTogether, h.consumed]).toEqual([[], ['person/alice']]);
  });

  it('when the write together does not happen, the request is counted and written apart', async () => {
    const h = harness({ counted: true });
    h.rateLimited.value = true;
    expect((await caught(vend(h, { profile: 'dev', mode: 'cli' }))).code).toBe('RATE_LIMITED');
    expect([h.countedTogether, h.consumed]).toEqual([[], ['person/alice']]);
    expect(h.sessions.tables.size).toBe(0);
    expect(h.issuer.calls).toEqual([]);
  });

  it('a refresh is counted with its write and gets the whole duration while the lifetime leaves room', async () => {
    const h = harness({ counted: true });
    const first = await vend(h, { profile: 'prod', mode: 'server', durationSeconds: 900 });
    const id = first.session?.id as string;
    h.clock.time = new Date(h.clock.time.getTime() + 10 * 60_000);
    await vend(h, { profile: 'prod', mode: 'server', sessionId: id, durationSeconds: 900 });
    expect(h.countedTogether).toEqual(['person/alice', 'person/alice']);
    expect(h.issuer.calls.map((call) => call.durationSeconds)).toEqual([900, 900]);
    expect(h.sessions.table('sentinel-sessions').get(id)?.requestCount).toBe(2);
  });

  it("near the end of its lifetime a refresh is written apart, and refused once less than STS's minimum is left", async () => {
    const h = harness({ counted: true });
    const first = await vend(h, { profile: 'prod', mode: 'server', durationSeconds: 900 });
    const id = first.session?.id as string;
    const sessions = h.sessions.table('sentinel-sessions');
    // Credentials kept fresh until the session's 12 h lifetime ends.
    sessions.set(id, { ...(sessions.get(id) as SessionRecord), expiresAt: '2026-11-19T00:00:00.000Z' });
    // 15 minutes before the end a whole 15-minute refresh still fits: written together.
    h.clock.time = new Date(Date.parse('2026-11-18T21:45:00Z'));
    await vend(h, { profile: 'prod', mode: 'server', sessionId: id, durationSeconds: 900 });
    expect([h.countedTogether, h.consumed]).toEqual([['person/alice', 'person/alice'], []]);
    // One second later it no longer does: counted and refreshed apart, then refused.
    h.clock.time = new Date(Date.parse('2026-11-18T21:45:01Z'));
    const error = await caught(vend(h, { profile: 'prod', mode: 'server', sessionId: id, durationSeconds: 900 }));
    expect(error.code).toBe('SESSION_EXPIRED');
    expect([h.countedTogether, h.consumed]).toEqual([['person/alice', 'person/alice'], ['person/alice']]);
    expect(h.issuer.calls.map((call) => call.durationSeconds)).toEqual([900, 900]);
  });

  it('a refresh of a revoked session is refused with the reason, counted once, and writes nothing', async () => {
    const h = harness({ counted: true });
    const first = await vend(h, { profile: 'prod', mode: 'server' });
    const id = first.session?.id as string;
    await h.sessions.revoke('sentinel-sessions', { id, by: 'admin', reason: 'left', now: h.clock.time.toISOString() });
    expect((await caught(vend(h, { profile: 'prod', mode: 'server', sessionId: id }))).code).toBe('SESSION_REVOKED');
    expect([h.countedTogether, h.consumed]).toEqual([['person/alice'], ['person/alice']]);
    expect(h.sessions.table('sentinel-sessions').get(id)?.requestCount).toBe(1);
    expect(h.issuer.calls).toHaveLength(1);
  });
});

describe('vendCredentials: fail closed', () => {
  it('issues nothing when the session write fails', async () => {
    const h = harness();
    h.sessions.failNext.create = new UnavailableError('the session store is unavailable');
    const error = await caught(vend(h, { profile: 'dev', mode: 'cli' }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(h.issuer.calls).toEqual([]);
  });

  it('marks the session failed when STS fails, and returns no credentials', async () => {
    const h = harness();
    h.issuer.failWith = new UnavailableError('could not assume the role');
    const error = await caught(vend(h, { profile: 'dev', mode: 'cli' }));
    expect(error.code).toBe('UNAVAILABLE');
    expect([...h.sessions.table('sentinel-sessions').values()].map((session) => session.status)).toEqual(['failed']);
    expect(h.lines[0]).toMatchObject({ outcome: 'UNAVAILABLE' });
  });

  it('an interrupted issuance leaves its session pending, never refreshable: STS and the failure mark both fail', async () => {
    const h = harness();
    h.issuer.failWith = new UnavailableError('could not assume the role');
    h.sessions.failNext.markFailed = new UnavailableError('the session store is unavailable');
    await caught(vend(h, { profile: 'prod', mode: 'server' }));
    const [session] = [...h.sessions.table('sentinel-sessions').values()];
    expect(session?.status).toBe('pending');
    expect(h.warnings).toEqual(['could not mark the session failed after STS failed']);
    h.issuer.failWith = undefined;
    const refresh = await caught(vend(h, { profile: 'prod', mode: 'server', sessionId: session?.id ?? '' }));
    expect(refresh.code).toBe('SESSION_EXPIRED');
    expect(h.issuer.calls).toHaveLength(1);
  });

  it('an interrupted issuance leaves its session pending, never refreshable: STS answers but the mark-issued update fails', async () => {
    const h = harness();
    h.sessions.failNext.markIssued = new UnavailableError('the session store is unavailable');
    expect((await caught(vend(h, { profile: 'prod', mode: 'server' }))).code).toBe('UNAVAILABLE');
    const [session] = [...h.sessions.table('sentinel-sessions').values()];
    expect(session?.status).toBe('pending');
    await caught(vend(h, { profile: 'prod', mode: 'server', sessionId: session?.id ?? '' }));
    // Only the first issuance reached STS: the refresh of a pending session never does.
    expect(h.issuer.calls).toHaveLength(1);
  });

  it('drops the credentials when the session is revoked while STS answers', async () => {
    const h = harness();
    h.issuer.during = async () => {
      for (const session of h.sessions.table('sentinel-sessions').values()) session.status = 'revoked';
    };
    const error = await caught(vend(h, { profile: 'dev', mode: 'cli' }));
    expect(error.code).toBe('SESSION_REVOKED');
    expect(h.issuer.calls).toHaveLength(1);
  });
});

describe('vendCredentials: server-mode refresh', () => {
  async function started(h: Harness) {
    const first = await vend(h, { profile: 'prod', mode: 'server' });
    if (first.session === null) throw new Error('expected a session');
    return first.session;
  }

  it('bumps the session and issues fresh credentials under the same id', async () => {
    const h = harness();
    const session = await started(h);
    h.clock.time = new Date('2026-11-18T10:10:00Z');
    const again = await vend(h, { profile: 'prod', mode: 'server', sessionId: session.id, sessionTable: session.table });
    expect(again.session).toEqual({ id: session.id, table: 'sentinel-sessions', expiresAt: '2026-11-18T10:25:00.000Z' });
    expect(h.sessions.table('sentinel-sessions').get(session.id)).toMatchObject({ requestCount: 2, lastAccessAt: '2026-11-18T10:10:00.000Z', expiresAt: '2026-11-18T10:25:00.000Z' });
    expect(h.issuer.calls[1]).toMatchObject({ sessionId: session.id, durationSeconds: 900 });
    expect(h.lines[1]).toMatchObject({ refresh: true, sessionId: session.id, outcome: 'issued' });
  });

  it('refuses a revoked session with its own code and issues nothing', async () => {
    const h = harness();
    const session = await started(h);
    const stored = h.sessions.table('sentinel-sessions').get(session.id);
    if (stored !== undefined) stored.status = 'revoked';
    const error = await caught(vend(h, { profile: 'prod', mode: 'server', sessionId: session.id }));
    expect(error.code).toBe('SESSION_REVOKED');
    expect(h.issuer.calls).toHaveLength(1);
  });

  it('evaluates the policy again: a policy change refuses the next refresh', async () => {
    const h = harness();
    const session = await started(h);
    h.setPolicy(SERVER_FREEZE_POLICY);
    const error = await caught(vend(h, { profile: 'prod', mode: 'server', sessionId: session.id }));
    expect(error.code).toBe('POLICY_DENY');
    expect(error.message).toBe('access to profile "prod" is denied: change freeze');
    // The refusal is decided before any write: the session is not bumped.
    expect(h.sessions.table('sentinel-sessions').get(session.id)).toMatchObject({ requestCount: 1, status: 'active' });
    expect(h.issuer.calls).toHaveLength(1);
    expect(h.lines[1]).toMatchObject({ refresh: true, outcome: 'POLICY_DENY', effect: 'deny', rule: 'freeze', sessionId: session.id, sourceIdentity: null });
  });

  it('keeps the session active when STS fails during a refresh', async () => {
    const h = harness();
    const session = await started(h);
    h.issuer.failWith = new UnavailableError('sts down');
    await caught(vend(h, { profile: 'prod', mode: 'server', sessionId: session.id }));
    expect(h.sessions.table('sentinel-sessions').get(session.id)?.status).toBe('active');
  });

  it('ends the session at its hard lifetime', async () => {
    const h = harness();
    const session = await started(h);
    const stored = h.sessions.table('sentinel-sessions').get(session.id);
    if (stored !== undefined) stored.expiresAt = '2026-11-19T00:00:00.000Z';
    h.clock.time = new Date('2026-11-18T21:50:00Z');
    const error = await caught(vend(h, { profile: 'prod', mode: 'server', sessionId: session.id }));
    expect(error.code).toBe('SESSION_EXPIRED');
  });

  it('a refresh must be in server mode', async () => {
    const h = harness();
    const error = await caught(vend(h, { profile: 'prod', mode: 'cli', sessionId: 'a'.repeat(32) }));
    expect(error.code).toBe('INVALID_REQUEST');
  });
});
