/**
 * `sentinel sessions revoke` through runSessionsRevoke: exactly one target, the reason
 * checked as the API checks it, the confirmation (terminal, no terminal, --yes), the
 * AWS side in words (denied, pending), a session revoked before, the bulk revocation
 * following cursors and summing, JSON output, and refusals.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RevokeSessionRequest, RevokeSessionResponse, RevokeSessionsRequest, RevokeSessionsResponse } from '../../../../src/api/contract.js';
import type { SentinelApi } from '../../../../src/cli/api/types.js';
import type { SessionsRevokeOptions } from '../../../../src/cli/commands/sessionsRevoke.js';
import { runSessionsRevoke } from '../../../../src/cli/commands/sessionsRevoke.js';
import { credentialsCacheDir, CredentialsCache } from '../../../../src/cli/credentials/cache.js';
import { ApiError } from '../../../../src/cli/errors.js';
import { ACCOUNT, NOW, fakeApi, harness, outcome } from './harness.js';
import type { HarnessOptions } from './harness.js';
import { session } from './sessionFixtures.js';

const ID = '0123456789abcdef0123456789abcdef';
const ADMIN = { user: 'ops-erin', arn: `arn:aws:iam::${ACCOUNT}:user/ops-erin`, accountId: ACCOUNT, admin: true };
const AT = new Date(NOW).toISOString();

/** The revoke answer for a revocation made now by ops-erin with `reason`. */
function revokedNow(reason: string, aws: RevokeSessionResponse['aws'] = { status: 'denied' }): RevokeSessionResponse {
  return { session: session({ status: 'revoked', revokedBy: 'ops-erin', revokedReason: reason, revokedAt: AT }), alreadyRevoked: false, aws };
}

/** An admin's API: whoami, and revoke answers from `answer`; every call recorded. */
function revokeApi(answer: (id: string, body: RevokeSessionRequest) => RevokeSessionResponse | Promise<RevokeSessionResponse>) {
  const calls: Array<{ id: string; body: RevokeSessionRequest }> = [];
  const api = fakeApi({
    whoami: async () => ADMIN,
    revokeSession: async (id, body) => {
      calls.push({ id, body });
      return answer(id, body);
    },
  });
  return { api, calls };
}

/** Bulk revocation answering `batches` in turn. */
function bulkApi(batches: Array<RevokeSessionsResponse | Error>) {
  const calls: RevokeSessionsRequest[] = [];
  const api = fakeApi({
    revokeSessions: async (body) => {
      calls.push(body);
      const batch = batches[calls.length - 1];
      if (batch === undefined) throw new Error('called after the last cursor');
      if (batch instanceof Error) throw batch;
      return batch;
    },
  });
  return { api, calls };
}

function revoke(api: SentinelApi, options: SessionsRevokeOptions, harnessOptions: HarnessOptions = {}) {
  const h = harness(api, harnessOptions);
  return outcome(h, (context) => runSessionsRevoke(options, context)).then((result) => ({ ...result, apiRequests: h.apiRequests() }));
}

const USAGE_HINT = '(run with --help for usage)\n';

describe('sentinel sessions revoke: what it is asked to do', () => {
  it('refuses anything but exactly one of a session ID, --user and --profile (exit 2), before asking the API anything', async () => {
    const { api } = revokeApi(() => revokedNow('x'));
    const message = `error: name exactly one of a session ID, --user <user> or --profile <profile>\n${USAGE_HINT}`;
    for (const options of [{}, { id: ID, user: 'alice' }, { user: 'alice', profile: 'prod' }, { id: ID, user: 'alice', profile: 'prod' }]) {
      expect(await revoke(api, { ...options, reason: 'incident 42', yes: true })).toEqual({ code: 2, stdout: '', stderr: message, apiRequests: 0 });
    }
  });

  it('checks the reason as the API does: 1 to 500 characters, no control characters (exit 2, nothing asked)', async () => {
    const { api } = revokeApi(() => revokedNow('x'));
    const refused = async (reason: string) => (await revoke(api, { id: ID, reason, yes: true })).stderr;
    expect(await refused('')).toBe(`error: option '--reason <text>' is invalid: the reason must not be empty\n${USAGE_HINT}`);
    expect(await refused('x'.repeat(501))).toBe(`error: option '--reason <text>' is invalid: the reason must be at most 500 characters\n${USAGE_HINT}`);
    expect(await refused('incident\u001b[2J')).toBe(`error: option '--reason <text>' is invalid: the reason must not contain control characters\n${USAGE_HINT}`);
    expect(await refused('two\nlines')).toBe(`error: option '--reason <text>' is invalid: the reason must not contain control characters\n${USAGE_HINT}`);
    expect(await refused('bidi \u202e')).toBe(`error: option '--reason <text>' is invalid: the reason must not contain control characters\n${USAGE_HINT}`);
    const longest = 'x'.repeat(500);
    const accepted = revokeApi((_id, body) => revokedNow(body.reason));
    expect((await revoke(accepted.api, { id: ID, reason: longest, yes: true })).code).toBe(0);
    expect(accepted.calls).toEqual([{ id: ID, body: { reason: longest } }]);
  });
});

describe('sentinel sessions revoke: confirmation', () => {
  it('refuses without --yes when stdin is not a terminal: a usage error naming --yes, nothing revoked', async () => {
    const { api, calls } = revokeApi(() => revokedNow('incident 42'));
    expect(await revoke(api, { id: ID, reason: 'incident 42' })).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: not on a terminal, so no one can confirm the revocation: pass --yes to revoke without asking\n${USAGE_HINT}`,
      apiRequests: 0,
    });
    expect(calls).toEqual([]);
  });

  it('refuses as well when stdin is a terminal but stderr, where the question goes, is not', async () => {
    const { api, calls } = revokeApi(() => revokedNow('incident 42'));
    const result = await revoke(api, { user: 'alice', reason: 'incident 42' }, { typed: 'y\n', stderrTTY: false });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pass --yes to revoke without asking');
    expect(calls).toEqual([]);
  });

  it('asks on a terminal and revokes on "y"', async () => {
    const { api, calls } = revokeApi(() => revokedNow('incident 42'));
    const result = await revoke(api, { id: ID, reason: 'incident 42' }, { typed: 'y\n', stderrTTY: true });
    expect(result.code).toBe(0);
    // readline on a terminal redraws the line it reads; the question is on it.
    expect(result.stderr).toContain(`Revoke session ${ID}? [y/N] `);
    expect(result.stdout).toMatch(/^revoked session /);
    expect(calls).toHaveLength(1);
  });

  it('revokes nothing on any other answer: "nothing revoked", exit 1', async () => {
    const { api, calls } = revokeApi(() => revokedNow('incident 42'));
    const single = await revoke(api, { id: ID, reason: 'incident 42' }, { typed: 'n\n', stderrTTY: true });
    expect(single).toMatchObject({ code: 1, stdout: '', apiRequests: 0 });
    expect(single.stderr).toContain(`Revoke session ${ID}? [y/N] `);
    expect(single.stderr.endsWith('\nsentinel: nothing revoked\n')).toBe(true);
    const bulk = bulkApi([]);
    const result = await revoke(bulk.api, { profile: 'prod', reason: 'incident 42' }, { typed: '\n', stderrTTY: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Revoke every active session of profile prod? [y/N] ');
    expect(result.stderr.endsWith('\nsentinel: nothing revoked\n')).toBe(true);
    expect({ calls, bulk: bulk.calls }).toEqual({ calls: [], bulk: [] });
  });

  it('with --yes never asks, terminal or not', async () => {
    const { api, calls } = revokeApi(() => revokedNow('incident 42'));
    const result = await revoke(api, { id: ID, reason: 'incident 42', yes: true }, { typed: 'n\n', stderrTTY: true });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(calls).toHaveLength(1);
  });
});

describe('sentinel sessions revoke ID', () => {
  it('says what was revoked, by whom and why, and that the deny is on the role (aws: denied)', async () => {
    const { api, calls } = revokeApi(() => revokedNow('incident 42'));
    expect(await revoke(api, { id: ID, reason: 'incident 42', yes: true, sessionTable: 'sentinel-team-sessions' })).toEqual({
      code: 0,
      stdout: [
        `revoked session ${ID} (user alice, profile prod)`,
        `revoked by ops-erin at ${AT}: incident 42`,
        'AWS: the deny is on the role: credentials already handed out stop working at AWS once IAM has propagated the change',
        '',
      ].join('\n'),
      stderr: '',
      apiRequests: 1,
    });
    expect(calls).toEqual([{ id: ID, body: { reason: 'incident 42', sessionTable: 'sentinel-team-sessions' } }]);
  });

  it('says the AWS side is pending, with why, and that the sweep completes it — still exit 0: the session is revoked', async () => {
    const { api } = revokeApi(() => revokedNow('incident 42', { status: 'pending', message: 'IAM throttled the request' }));
    const result = await revoke(api, { id: ID, reason: 'incident 42', yes: true });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[2]).toBe(
      'AWS: pending (IAM throttled the request): the scheduled sweep completes the deny; until then credentials already handed out keep working at AWS until they expire, while Sentinel already refuses every refresh and re-check',
    );
    const silent = await revoke(revokeApi(() => revokedNow('incident 42', { status: 'pending' })).api, { id: ID, reason: 'incident 42', yes: true });
    expect(silent.stdout.split('\n')[2]).toMatch(/^AWS: pending: the scheduled sweep completes the deny;/);
  });

  it('says "already revoked by X at T" when the API answers an earlier revocation (alreadyRevoked)', async () => {
    const earlier = (overrides: Partial<RevokeSessionResponse['session']>) =>
      revokeApi(() => ({ session: session({ status: 'revoked', revokedBy: 'ops-erin', revokedReason: 'incident 42', revokedAt: AT, ...overrides }), alreadyRevoked: true, aws: { status: 'denied' } })).api;
    const byBob = await revoke(earlier({ revokedBy: 'bob', revokedAt: '2025-03-14T08:00:00.000Z', revokedReason: 'left the team' }), { id: ID, reason: 'incident 42', yes: true });
    expect(byBob.stdout.split('\n').slice(0, 2)).toEqual([
      `session ${ID} (user alice, profile prod) was already revoked by bob at 2025-03-14T08:00:00.000Z: left the team`,
      'AWS: the deny is on the role: credentials already handed out stop working at AWS once IAM has propagated the change',
    ]);
    const otherReason = await revoke(earlier({ revokedReason: 'first try' }), { id: ID, reason: 'incident 42', yes: true });
    expect(otherReason.stdout).toMatch(/^session \w+ \(user alice, profile prod\) was already revoked by ops-erin at [^:]+:\d\d:\d\d\.\d{3}Z: first try\n/);
    const yesterday = await revoke(earlier({ revokedAt: '2025-03-13T09:30:00.000Z' }), { id: ID, reason: 'incident 42', yes: true });
    expect(yesterday.stdout).toContain('was already revoked by ops-erin at 2025-03-13T09:30:00.000Z: incident 42');
    // The same admin and reason a moment ago: only the API can tell, and it does.
    const sameAgain = await revoke(earlier({}), { id: ID, reason: 'incident 42', yes: true });
    expect(sameAgain.stdout).toContain(`was already revoked by ops-erin at ${AT}: incident 42`);
  });

  it('prints the answer and whether it was revoked before as JSON with --output json', async () => {
    const answer = revokedNow('incident 42', { status: 'pending', message: 'IAM throttled the request' });
    const result = await revoke(revokeApi(() => answer).api, { id: ID, reason: 'incident 42', yes: true }, { format: 'json' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual(answer);
  });

  it('escapes what a terminal would act on in the names and reason the server sends back', async () => {
    const hostile = { session: session({ status: 'revoked', user: 'alice\u001b]0;x\u0007', profile: 'prod\u202e', revokedBy: 'ops-erin', revokedReason: 'spoof\u001b[1A', revokedAt: AT }), alreadyRevoked: false, aws: { status: 'pending' as const, message: 'IAM \u009b said no' } };
    const result = await revoke(revokeApi(() => hostile).api, { id: ID, reason: 'incident 42', yes: true });
    for (const raw of ['\u001b', '\u0007', '\u202e', '\u009b']) expect(result.stdout).not.toContain(raw);
    expect(result.stdout).toContain('(user alice\\u001b]0;x\\u0007, profile prod\\u202e)');
    expect(result.stdout).toContain('spoof\\u001b[1A');
    expect(result.stdout).toContain('AWS: pending (IAM \\u009b said no)');
  });

  it("reports the API's refusals with their messages, exit 1: not an admin, a session that is over", async () => {
    const notAdmin = revokeApi(() => Promise.reject(new ApiError('NOT_ADMIN', 'only admins may revoke sessions; "bob" is not in the policy\'s admins', { status: 403 })));
    expect(await revoke(notAdmin.api, { id: ID, reason: 'incident 42', yes: true })).toMatchObject({ code: 1, stdout: '', stderr: 'sentinel: only admins may revoke sessions; "bob" is not in the policy\'s admins\n' });
    const ended = revokeApi(() => Promise.reject(new ApiError('CONFLICT', `session ${ID} is ended`, { status: 409 })));
    const json = await revoke(ended.api, { id: ID, reason: 'incident 42', yes: true }, { format: 'json' });
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'CONFLICT', message: `session ${ID} is ended` } });
  });
});

describe('sentinel sessions revoke --user U | --profile P', () => {
  it('follows the cursor until none comes back, sends the same target and reason each time, and prints the totals', async () => {
    const { api, calls } = bulkApi([
      { revoked: 100, skipped: 0, awsPending: 0, cursor: 'batch-2' },
      { revoked: 98, skipped: 2, awsPending: 0, cursor: 'batch-3' },
      { revoked: 3, skipped: 1, awsPending: 0 },
    ]);
    expect(await revoke(api, { user: 'alice', reason: 'offboarding', yes: true, sessionTable: 'sentinel-team-sessions' })).toEqual({
      code: 0,
      stdout: [
        'revoked 201 sessions of user alice (3 skipped: ended, expired or revoked by someone else meanwhile)',
        'AWS: the deny is on the roles: credentials already handed out stop working at AWS once IAM has propagated the change',
        '',
      ].join('\n'),
      stderr: '',
      apiRequests: 1,
    });
    const base = { user: 'alice', reason: 'offboarding', sessionTable: 'sentinel-team-sessions' };
    expect(calls).toEqual([base, { ...base, cursor: 'batch-2' }, { ...base, cursor: 'batch-3' }]);
  });

  it('says how many wait for the AWS side (pending) and that the sweep completes them', async () => {
    const { api } = bulkApi([
      { revoked: 1, skipped: 0, awsPending: 1, cursor: 'next' },
      { revoked: 1, skipped: 0, awsPending: 1 },
    ]);
    expect((await revoke(api, { profile: 'prod', reason: 'incident 42', yes: true })).stdout).toBe(
      [
        'revoked 2 sessions of profile prod',
        'AWS: pending for 2 of them: the scheduled sweep completes the deny; until then their credentials already handed out keep working at AWS until they expire, while Sentinel already refuses every refresh and re-check',
        '',
      ].join('\n'),
    );
  });

  it('says so when there was nothing to revoke', async () => {
    expect((await revoke(bulkApi([{ revoked: 0, skipped: 0, awsPending: 0 }]).api, { user: 'alice', reason: 'offboarding', yes: true })).stdout).toBe('no active sessions of user alice to revoke\n');
    expect((await revoke(bulkApi([{ revoked: 0, skipped: 1, awsPending: 0 }]).api, { user: 'alice', reason: 'offboarding', yes: true })).stdout).toBe(
      'no active sessions of user alice to revoke (1 skipped: ended, expired or revoked by someone else meanwhile)\n',
    );
  });

  it('prints the totals and the target as JSON with --output json', async () => {
    const { api } = bulkApi([
      { revoked: 2, skipped: 1, awsPending: 1, cursor: 'next' },
      { revoked: 1, skipped: 0, awsPending: 0 },
    ]);
    const result = await revoke(api, { user: 'alice', reason: 'offboarding', yes: true }, { format: 'json' });
    expect(JSON.parse(result.stdout)).toEqual({ user: 'alice', revoked: 3, skipped: 1, awsPending: 1 });
  });

  it('a failure after some batches keeps its code and says how many were revoked before it', async () => {
    const { api } = bulkApi([{ revoked: 100, skipped: 0, awsPending: 0, cursor: 'next' }, new ApiError('UNAVAILABLE', 'the session table is unavailable', { status: 503, requestId: 'req-9' })]);
    expect(await revoke(api, { user: 'alice', reason: 'offboarding', yes: true })).toMatchObject({
      code: 1,
      stderr: 'sentinel: the session table is unavailable (after revoking 100 sessions: run the same command again to revoke the rest)\n',
    });
    const again = bulkApi([{ revoked: 1, skipped: 0, awsPending: 0, cursor: 'next' }, new ApiError('UNAVAILABLE', 'the session table is unavailable', { status: 503, requestId: 'req-9' })]);
    const json = await revoke(again.api, { user: 'alice', reason: 'offboarding', yes: true }, { format: 'json' });
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'UNAVAILABLE', message: 'the session table is unavailable (after revoking 1 session: run the same command again to revoke the rest)', requestId: 'req-9' },
    });
  });

  it('a refusal of the first batch is reported as the API sent it', async () => {
    const { api } = bulkApi([new ApiError('NOT_ADMIN', 'only admins may revoke sessions', { status: 403 })]);
    expect(await revoke(api, { user: 'alice', reason: 'offboarding', yes: true })).toMatchObject({ code: 1, stdout: '', stderr: 'sentinel: only admins may revoke sessions\n' });
  });

  it('stops with API_BAD_RESPONSE when a batch comes back with the cursor it was sent', async () => {
    const { api, calls } = bulkApi([
      { revoked: 0, skipped: 0, awsPending: 0, cursor: 'same' },
      { revoked: 0, skipped: 0, awsPending: 0, cursor: 'same' },
    ]);
    const result = await revoke(api, { user: 'alice', reason: 'offboarding', yes: true });
    expect(result).toMatchObject({ code: 1, stderr: 'sentinel: the API answered a revocation batch with the cursor it was sent\n' });
    expect(calls).toHaveLength(2);
  });
});

describe('sentinel sessions revoke ID: the cached credentials of the session on this machine', () => {
  it('are dropped, the text says so, and JSON stays the API answer alone; a bulk revocation leaves the cache as it is', async () => {
    const cacheHome = await mkdtemp(path.join(tmpdir(), 'sentinel-revoke-cache-'));
    try {
      const dir = credentialsCacheDir({ XDG_CACHE_HOME: cacheHome });
      const principal = { id: 'p'.repeat(64), secret: Buffer.alloc(32, 1) };
      const credentials = { accessKeyId: 'ASIASENTINELDEV00001', secretAccessKey: 'sentinel-dev-secret-1', sessionToken: 'sentinel-dev:token-1', expiration: new Date(NOW + 3_600_000).toISOString() };
      const store = (profile: string) =>
        new CredentialsCache({ dir, key: { apiUrl: 'http://127.0.0.1:4280', region: 'us-east-1', principal: principal.id, profile, durationSeconds: null, mode: 'credential_process' }, principal, now: () => NOW }).write(credentials, ID);
      await store('dev');
      const entries = async (): Promise<number> => (await readdir(dir)).filter((name) => name.endsWith('.json')).length;
      const env = { XDG_CACHE_HOME: cacheHome };

      const { api } = revokeApi(() => revokedNow('incident 42'));
      const text = await revoke(api, { id: ID, reason: 'incident 42', yes: true }, { env });
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/\nremoved its credentials from this machine's credentials cache \(sentinel credentials asks the API next time\)\n$/);
      expect(await entries()).toBe(0);

      await store('dev');
      const json = await revoke(api, { id: ID, reason: 'incident 42', yes: true }, { env, format: 'json' });
      expect(JSON.parse(json.stdout)).toEqual(revokedNow('incident 42'));
      expect(await entries()).toBe(0);

      await store('dev');
      const bulk = bulkApi([{ revoked: 1, skipped: 0, awsPending: 0 }]);
      expect((await revoke(bulk.api, { profile: 'dev', reason: 'incident 42', yes: true }, { env })).code).toBe(0);
      expect(await entries()).toBe(1);
    } finally {
      await rm(cacheHome, { recursive: true, force: true });
    }
  });
});
